/**
 * EPR pools: one endpoint's side of the pre-shared Bell pairs of a directed link, their counter-based
 * shares, distribution batches, verification sacrifices and storage decoherence (DESIGN §3).
 */
package io.qring.channel.epr;
