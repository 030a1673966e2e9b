/**
 * The runnable samples of qring: {@link io.qring.samples.QringCli}, the {@code qring} executable with its
 * {@code mnist}, {@code cifar10} and {@code allreduce} subcommands.
 */
package io.qring.samples;
