/**
 * The {@code qring} command line: the {@code mnist}, {@code cifar10} and {@code allreduce} subcommands, their
 * shared option groups, and the console output (header, summary table, ledger ratio) around a launch.
 */
package io.qring.samples.cli;
