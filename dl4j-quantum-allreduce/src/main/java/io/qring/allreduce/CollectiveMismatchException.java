package io.qring.allreduce;

/**
 * The ranks called different collectives (type, element type, operation or length) at the same
 * point, or called the same all-reduce under different non-finite policies. Every rank throws it,
 * with the same message, before any data moved; the ring stays usable.
 */
public final class CollectiveMismatchException extends IllegalStateException
{
    /**
     * @param message names both disagreeing ranks and what each called or which policy each uses.
     */
    public CollectiveMismatchException(final String message)
    {
        super(message);
    }
}
