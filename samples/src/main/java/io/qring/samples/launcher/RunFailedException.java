package io.qring.samples.launcher;

/**
 * A run could not start or did not finish: a rank failed to connect, a link failed or raised a
 * verification alarm under the abort policy, a rank died. The message is one line naming the run, the
 * rank and the cause, suitable for printing as is.
 */
public final class RunFailedException extends RuntimeException
{
    /**
     * @param message one line saying what failed and why.
     * @param cause   the underlying failure, or {@code null}.
     */
    public RunFailedException(final String message, final Throwable cause)
    {
        super(message, cause);
    }

    /**
     * @param message text, possibly spread over several lines.
     * @return the text on one line, runs of white space collapsed.
     */
    public static String oneLine(final String message)
    {
        return null == message ? "" : message.replaceAll("\\s+", " ").strip();
    }
}
