package io.qring.allreduce;

/**
 * A rank and its neighbour were configured differently in a way the ring cannot work with (one runs
 * quantum links, the other classical ones; their quantum links use different seeds or noise; their
 * applications declared different {@link io.qring.allreduce.config.RingContext#sharedSettings() shared
 * settings}). Both ranks throw it from {@link Ring#connect}, naming every differing setting, before any
 * data moved, and abort their links (with this message as the reason): a rank further along whose own
 * neighbours match it connects, and its first collective then fails with a
 * {@link io.qring.allreduce.link.PeerFailedException} rather than by a timeout.
 */
public final class RingSettingsMismatchException extends IllegalStateException
{
    /**
     * @param message names both ranks and, for each differing setting, its value on each.
     */
    public RingSettingsMismatchException(final String message)
    {
        super(message);
    }
}
