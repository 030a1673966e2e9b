/**
 * Verification of a link's EPR pairs: QBER estimation on sacrificed pairs with a Hoeffding bound,
 * alarms, and the intercept-resend eavesdropper it must catch (DESIGN §3).
 */
package io.qring.channel.verify;
