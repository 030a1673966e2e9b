package io.qring.channel.exact;

import java.util.Objects;

/**
 * A Kraus channel inserted into the superdense-coding circuit on one half of the pair at one stage.
 *
 * @param channel the channel.
 * @param half    the half it acts on.
 * @param stage   before or after the sender's encoding.
 */
public record ChannelInsertion(KrausChannel channel, PairHalf half, EncodingStage stage)
{
    /**
     * Validates the fields.
     *
     * @throws NullPointerException if a field is null.
     */
    public ChannelInsertion
    {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(half, "half");
        Objects.requireNonNull(stage, "stage");
    }
}
