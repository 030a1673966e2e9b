/**
 * Links between ring neighbours: the {@link io.qring.allreduce.link.Link} SPI and its typed failures,
 * the decorator hook ({@link io.qring.allreduce.link.LinkWrapper}, {@link io.qring.allreduce.link.DelegatingLink}),
 * the authenticated classical link ({@link io.qring.allreduce.link.AuthenticatedLink}: frame header,
 * HMAC-SHA256 membership handshake, AES-256-GCM sealed frames, sequence numbers, ledger) over raw
 * {@link io.qring.allreduce.link.MessagePipe}s, and the in-memory pipes used by unit tests.
 */
package io.qring.allreduce.link;
