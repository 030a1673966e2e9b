package io.qring.channel.exact;

/** When a channel acts on its half of the pair, relative to the sender's encoding Z^b1 X^b2 on half A. */
public enum EncodingStage
{
    /** While the pair is stored, before the sender encodes (memory decoherence). */
    BEFORE_ENCODING,
    /** After the sender encoded, before the receiver decodes (the flight of half A). */
    AFTER_ENCODING
}
