/**
 * Superdense codec: payload bytes to wire symbols over the pairs of an EPR pool and back, 2 bits per
 * pair, framed by a {@link io.qring.channel.codec.SuperdenseFrameHeader} (DESIGN §3).
 */
package io.qring.channel.codec;
