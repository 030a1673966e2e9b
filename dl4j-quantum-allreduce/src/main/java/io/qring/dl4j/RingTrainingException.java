package io.qring.dl4j;

/**
 * Training over the ring cannot go on: a rank trains another model, an update is not finite under
 * {@link NonFiniteUpdatePolicy#FAIL}, the ring failed, or a local worker did not arrive in time, failed or
 * disagreed on the number of workers in the round. The message names the rank, iteration and model size; the
 * cause carries the ring's (or the local rendezvous') own report.
 */
public class RingTrainingException extends RuntimeException
{
    /**
     * @param message what failed, with the model context.
     * @param cause   the underlying failure, or {@code null}.
     */
    public RingTrainingException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
