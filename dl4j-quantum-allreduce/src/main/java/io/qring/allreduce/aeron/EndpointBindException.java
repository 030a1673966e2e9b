package io.qring.allreduce.aeron;

/** A rank could not bind its UDP endpoint (port in use, unknown host, address not local). */
public final class EndpointBindException extends RuntimeException
{
    private final String endpoint;

    /**
     * @param endpoint the endpoint that could not be bound.
     * @param message  what went wrong.
     * @param cause    the transport's error, or {@code null}.
     */
    public EndpointBindException(final String endpoint, final String message, final Throwable cause)
    {
        super(message, cause);
        this.endpoint = endpoint;
    }

    /** @return the endpoint that could not be bound, {@code host:port}. */
    public String endpoint()
    {
        return endpoint;
    }
}
