package io.qring.samples.data;

/**
 * No source of a data set could be used (no network for the download, no npm client, a missing or
 * incomplete directory, a corrupted archive). The message is one or two sentences saying what was
 * tried and exactly how to get the data, suitable for printing as is.
 */
public final class DataUnavailableException extends RuntimeException
{
    /**
     * @param message what was tried and how to get the data.
     */
    public DataUnavailableException(final String message)
    {
        super(message);
    }

    /**
     * @param message what was tried and how to get the data.
     * @param cause   the failure of the last source tried.
     */
    public DataUnavailableException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
