/**
 * Runs one job on every rank of a ring, however the ranks are placed: as threads of this JVM
 * ({@link io.qring.samples.launcher.ThreadLauncher}), as child JVMs on this host talking UDP over loopback
 * ({@link io.qring.samples.launcher.ProcessLauncher} with {@link io.qring.samples.launcher.ChildRank}), or as
 * one rank of a ring spread over several hosts ({@link io.qring.samples.launcher.MultiHostRank}). Every way
 * ends with the same per-rank results, assembled into one {@link io.qring.samples.report.RunRecord} per link
 * kind by {@link io.qring.samples.launcher.RunAssembler}.
 */
package io.qring.samples.launcher;
