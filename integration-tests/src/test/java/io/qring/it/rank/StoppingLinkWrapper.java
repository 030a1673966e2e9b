package io.qring.it.rank;

import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.it.rank.RankOptions.StopAction;
import io.qring.it.rank.RankOptions.StopPoint;
import org.agrona.DirectBuffer;

import java.util.concurrent.locks.LockSupport;

/**
 * Stops a rank at its {@link StopPoint} from inside its ring, so that a fault test knows its victim dies in
 * the middle of a given all-reduce, whatever the timing: the link to the next rank counts the messages the
 * ring engine hands over during that all-reduce and, right after the chosen one, reports (the
 * {@code beforeStop} callback) and then halts the JVM or freezes the engine's thread
 * ({@link StopAction}). The link from the previous rank is left as it is.
 * <p>
 * Composed outermost, after any quantum wrapper ({@code quantum.then(this)}): it counts what the engine
 * sends (descriptors and chunks, a fixed sequence per all-reduce and ring), not the frames a quantum link
 * sends underneath, whose number varies with repairs and which its control thread may send too. The quantum
 * link stays next to the transport, as in the ranks that do not stop; this wrapper adds no ring setting.
 * <p>
 * {@link #operationStarted(int)}, {@link #operationFinished(int)} and the sends all run on the thread that
 * calls the all-reduces.
 */
final class StoppingLinkWrapper implements LinkWrapper
{
    private final StopPoint stopAt;
    private final Runnable beforeStop;
    private int operation = -1;
    private int sends;

    /**
     * @param stopAt     where to stop; {@link StopPoint#NONE} never stops.
     * @param beforeStop reports the stop (e.g. prints an event), called once right before it.
     */
    StoppingLinkWrapper(final StopPoint stopAt, final Runnable beforeStop)
    {
        this.stopAt = stopAt;
        this.beforeStop = beforeStop;
    }

    /**
     * Starts counting the sends of an all-reduce.
     *
     * @param operation index of the all-reduce about to start.
     */
    void operationStarted(final int operation)
    {
        this.operation = operation;
        sends = 0;
    }

    /**
     * @param operation index of the all-reduce that just completed.
     * @throws IllegalStateException if it was the one to stop in: it had fewer messages than the stop point counts.
     */
    void operationFinished(final int operation)
    {
        if (operation == stopAt.operation())
        {
            throw new IllegalStateException("all-reduce " + operation + " completed after handing over " + sends +
                " messages, before its stop point " + stopAt.text());
        }
    }

    @Override
    public Link wrapNext(final Link link, final int selfRank, final int nextRank)
    {
        return new DelegatingLink(link)
        {
            @Override
            public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
            {
                delegate.send(buffer, offset, length, deadlineNanos);
                handedOver();
            }
        };
    }

    @Override
    public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
    {
        return link;
    }

    private void handedOver()
    {
        if (operation == stopAt.operation() && ++sends == stopAt.sends())
        {
            beforeStop.run();
            if (StopAction.HALT == stopAt.action())
            {
                Runtime.getRuntime().halt(RankMain.EXIT_HALTED);
            }
            while (true)
            {
                LockSupport.park(this);
            }
        }
    }
}
