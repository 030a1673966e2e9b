/**
 * Settings of a ring ({@link io.qring.allreduce.config.RingContext}, validated once by {@code conclude()},
 * fillable from {@code QRING_*} environment variables) and the link-rate model that turns a ledger into
 * modelled online time ({@link io.qring.allreduce.config.LinkRateModel}).
 */
package io.qring.allreduce.config;
