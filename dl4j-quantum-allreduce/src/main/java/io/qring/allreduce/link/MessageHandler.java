package io.qring.allreduce.link;

import org.agrona.DirectBuffer;

/** Receives one whole message from a {@link Link}, zero-copy. */
@FunctionalInterface
public interface MessageHandler
{
    /**
     * Called once per {@link Link#receive(MessageHandler, long)} with the message's payload. The buffer
     * is only valid during the call: copy out what must outlive it.
     *
     * @param buffer holding the payload.
     * @param offset at which the payload starts.
     * @param length of the payload in bytes (may be 0).
     */
    void onMessage(DirectBuffer buffer, int offset, int length);
}
