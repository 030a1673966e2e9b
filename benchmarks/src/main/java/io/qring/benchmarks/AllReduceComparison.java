package io.qring.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aeron.AeronVersion;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end comparison of the classical and the quantum ring in one process run: for each transport
 * (Aeron IPC, UDP loopback) and size, N ranks (threads) all-reduce (AVERAGE) a float array over a
 * classical ring and over a ring of noiseless quantum links, both alive at once and taking turns
 * operation by operation (warm-up of at least {@code --warmup} turns and {@code --min-warmup-seconds},
 * then the timed turns), so JIT compilation and machine noise fall on both alike; then plain Aeron measures two yardsticks of raw
 * throughput with the ring's chunk-sized messages over the same transport and driver settings. Prints
 * ONE JSON line on stdout (logs go to stderr):
 * <ul>
 * <li>per ring: median and fastest all-reduce time over the timed repetitions (after warm-up), algbw = bytes /
 * time and busbw = algbw · 2(N−1)/N (nccl-tests), in GB/s (10^9 bytes), the median CPU time all threads of the
 * process used per all-reduce, waiting threads' spinning and yielding included, the part of it the ring's rank
 * threads used in their {@code allReduce} calls (the engine, and the links' work on the calling thread:
 * framing, authentication, coding; and their spinning while they wait), and the cores the process kept busy
 * (median over all-reduces of CPU time over the time it was read across, out of {@code cores});</li>
 * <li>per case: quantum/classical median time ratio and CPU time ratio; the quantum ring's extra time and
 * extra CPU time per all-reduce (median quantum minus median classical), the latter also for the rank threads
 * alone (on the critical path of every step, unlike the control threads, media driver, JIT and GC) and,
 * measured on its own on the main thread ({@link CodingCost}), the CPU time of the superdense coding and block
 * checksums of one all-reduce's volume, with its share of that extra (null when the quantum ring used no more
 * CPU); both yardsticks, busbw / yardstick for each ring and each yardstick, and on link 0→1 in one
 * all-reduce: the classical ring's payload bits and the quantum ring's online qubits (and online classical
 * side bits);</li>
 * <li>the targets (quantum/classical ≤ 1.10, busbw ≥ 0.5 of raw Aeron, checked against each yardstick)
 * and whether each case meets them;</li>
 * <li>the system load average at start and end: on a shared machine other processes skew the times.</li>
 * </ul>
 * Both yardsticks use the embedded media driver, transport, term length, MTU and idle strategy of the
 * rings' context and messages of the ring's chunk length; both move V = max({@link #MIN_RAW_AERON_BYTES_PER_REP},
 * bytes · 2(N−1)/N) per repetition and link (what one ring link carries in one all-reduce, at least
 * 64 MiB), run max({@link #MIN_RAW_AERON_WARM_UP}, warm-up) untimed repetitions, then as many timed
 * repetitions as the rings, and report the median:
 * <ul>
 * <li>{@code rawAeronGBps}, the single stream ({@code RawAeronThroughput}): ONE exclusive publication →
 * subscription, the calling thread offering V back to back, a dedicated thread reassembling the messages
 * and counting their bytes; timed from the first offer until the receiver holds the last byte; V / time.
 * The stream has every core to itself: about the most one link carries on an otherwise idle machine.</li>
 * <li>{@code rawAeronRingGBps}, the ring ({@code RawAeronRingThroughput}): N threads, one per rank, rank r
 * with an exclusive publication to rank (r + 1) mod N and a subscription from rank (r − 1) mod N; each
 * offers message k to its next rank, then waits for message k from its previous rank (as the ring's engine
 * does with chunk k) and copies every reassembled message out into a heap array; no framing,
 * authentication or reduction; timed from the moment all rank threads are released together until the
 * last of them holds its last message; V / time per link, with all N links busy at once.</li>
 * </ul>
 * nccl-tests compares busbw with the bandwidth of one link while every link of the ring carries data, as
 * during an all-reduce. On real hardware each link has its own wires, so a single stream would do; here
 * every link is software on shared cores: a sending end (copying into the term buffer) and a receiving end
 * (polling, reassembling, copying out), plus the media driver's agent. A loaded ring of N ranks keeps 2N
 * link ends busy; with at least 2N cores each end can have one and the single stream approximates one link
 * of the loaded ring, but on a machine with fewer cores than 2N (this benchmark's 2 cores against 8 ends
 * for N = 4) the N links share the cores and each carries only a fraction of what the lone stream gets.
 * The ring yardstick suffers the same sharing with the same threading as the rings (one thread per rank
 * that both sends and receives), so busbw / {@code rawAeronRingGBps} measures only the cost of the ring's
 * own work (framing, authentication, reduction, the quantum links' coding) and is the like-for-like check of the
 * busbw target; busbw / {@code rawAeronGBps} stays as the stricter, machine-bound reference.
 * Run: {@code mvn -B -pl benchmarks compile exec:exec@allreduce}; shrink it with
 * {@code -Dallreduce.args="--sizes=65536 --reps=3 --warmup=1"}.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true,
    description = "Times classical and quantum ring all-reduces against raw Aeron; prints one JSON line.")
public final class AllReduceComparison implements Callable<Integer>
{
    /**
     * Target: quantum ring time at most this multiple of the classical ring time (of an all-reduce here, of a
     * training epoch in {@link Dl4jComparison}).
     */
    public static final double TARGET_QUANTUM_OVER_CLASSICAL_TIME = 1.10;
    /** Target: ring bus bandwidth at least this fraction of the raw Aeron throughput (checked against each yardstick). */
    public static final double TARGET_BUSBW_OVER_RAW_AERON = 0.5;
    /** Least volume of one raw Aeron repetition, so that small cases still time milliseconds, not microseconds. */
    public static final long MIN_RAW_AERON_BYTES_PER_REP = 64L << 20;
    /** Least warm-up repetitions of the raw Aeron stream (its JIT warm-up is not covered by the rings'). */
    public static final int MIN_RAW_AERON_WARM_UP = 3;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--sizes", split = ",", defaultValue = "1048576,16777216",
        description = "floats per rank, comma-separated (default: ${DEFAULT-VALUE})")
    private int[] sizes;

    @Option(names = "--transports", split = ",", defaultValue = "ipc,udp",
        description = "transports, comma-separated: ipc, udp (default: ${DEFAULT-VALUE})")
    private List<TransportKind> transports;

    @Option(names = "--ranks", defaultValue = "4", description = "ranks N (default: ${DEFAULT-VALUE})")
    private int ranks;

    @Option(names = "--reps", defaultValue = "7", description = "timed all-reduces per ring (default: ${DEFAULT-VALUE})")
    private int repetitions;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed all-reduces first (default: ${DEFAULT-VALUE})")
    private int warmUp;

    @Option(names = "--min-warmup-seconds", defaultValue = "3",
        description = "least time the untimed all-reduces take, per case (default: ${DEFAULT-VALUE})")
    private double minWarmUpSeconds;

    @Option(names = "--chunk-bytes", defaultValue = "" + RingContext.DEFAULT_CHUNK_LENGTH,
        description = "ring chunk length (default: ${DEFAULT-VALUE}, the library's)")
    private int chunkLength;

    @Option(names = "--send-ahead", defaultValue = "" + RingContext.DEFAULT_SEND_AHEAD,
        description = "chunks a rank sends ahead of its receives, 0 for lockstep (default: ${DEFAULT-VALUE}, the library's)")
    private int sendAhead;

    @Option(names = "--term-bytes", defaultValue = "" + RingContext.DEFAULT_TERM_LENGTH,
        description = "Aeron term length (default: ${DEFAULT-VALUE}, the library's)")
    private int termLength;

    @Option(names = "--skip", split = ",", description = "cases not to run, as transport:floats (e.g. udp:16777216)")
    private List<String> skipped = List.of();

    /** Result CRC of each size's first case, which the same size over the other transport must match. */
    private final Map<Integer, Integer> resultCrcBySize = new HashMap<>();

    /**
     * @param args options, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(commandLine(new AllReduceComparison()).execute(args));
    }

    /**
     * Runs the comparison with these arguments in this JVM.
     *
     * @param args options as on the command line.
     * @return the report, as printed by {@link #main}.
     */
    public static ObjectNode compare(final String... args)
    {
        final AllReduceComparison comparison = new AllReduceComparison();
        commandLine(comparison).parseArgs(args);
        return comparison.report();
    }

    /** Runs the comparison and prints its one JSON line. */
    @Override
    public Integer call()
    {
        System.out.println(report().toString());
        return 0;
    }

    private static CommandLine commandLine(final AllReduceComparison comparison)
    {
        return new CommandLine(comparison).setCaseInsensitiveEnumValuesAllowed(true);
    }

    private ObjectNode report()
    {
        if (ranks < 2 || repetitions < 1 || warmUp < 0 || !(minWarmUpSeconds >= 0))
        {
            throw new IllegalArgumentException("need --ranks >= 2, --reps >= 1, --warmup >= 0, --min-warmup-seconds >= 0");
        }
        final long start = System.nanoTime();
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        final ObjectNode report = JSON.createObjectNode()
            .put("benchmark", "allreduce")
            .put("ranks", ranks)
            .put("reps", repetitions)
            .put("warmup", warmUp)
            .put("minWarmUpSeconds", minWarmUpSeconds)
            .put("op", "AVERAGE")
            .put("chunkBytes", chunkLength)
            .put("termBytes", termLength)
            .put("cores", Runtime.getRuntime().availableProcessors())
            .put("maxHeapBytes", Runtime.getRuntime().maxMemory())
            .put("java", System.getProperty("java.version"))
            .put("aeron", AeronVersion.VERSION)
            .put("loadAverageAtStart", Figures.round(os.getSystemLoadAverage()));
        report.putObject("targets")
            .put("quantumOverClassicalTimeMax", TARGET_QUANTUM_OVER_CLASSICAL_TIME)
            .put("busbwOverRawAeronMin", TARGET_BUSBW_OVER_RAW_AERON);
        final ArrayNode cases = report.putArray("cases");
        final ArrayNode skippedCases = report.putArray("skipped");
        for (final TransportKind transport : transports)
        {
            if (TransportKind.IPC != transport && TransportKind.UDP != transport)
            {
                throw new IllegalArgumentException("--transports takes ipc and udp, got " + transport);
            }
            for (final int size : sizes)
            {
                final String name = transport.name().toLowerCase(Locale.ROOT) + ":" + size;
                if (skipped.contains(name))
                {
                    skippedCases.add(name);
                    continue;
                }
                cases.add(measureCase(transport, size));
            }
        }
        report.put("loadAverageAtEnd", Figures.round(os.getSystemLoadAverage()));
        report.put("elapsedSeconds", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) / 1000.0);
        return report;
    }

    private ObjectNode measureCase(final TransportKind transport, final int elements)
    {
        final long bytes = (long)elements * Float.BYTES;
        final double busFactor = 2.0 * (ranks - 1) / ranks;
        final List<RingMeasurement> rings = RingMeasurement.measureTakingTurns(List.of(context(transport),
            context(transport).linkWrapper(QuantumLinkSettings.builder().build().wrapper())),
            elements, warmUp, (long)(minWarmUpSeconds * 1e9), repetitions);
        final RingMeasurement classical = rings.get(0);
        final RingMeasurement quantum = rings.get(1);
        if (classical.resultCrc() != quantum.resultCrc())
        {
            throw new IllegalStateException("the quantum ring ended " + transport + " " + elements + " floats with other bits than " +
                "the classical ring (CRC-32C " + Integer.toHexString(quantum.resultCrc()) + " vs " +
                Integer.toHexString(classical.resultCrc()) + ")");
        }
        final Integer otherTransport = resultCrcBySize.putIfAbsent(elements, classical.resultCrc());
        if (null != otherTransport && otherTransport != classical.resultCrc())
        {
            throw new IllegalStateException("the rings ended " + elements + " floats over " + transport + " with other bits than " +
                "over the other transport (CRC-32C " + Integer.toHexString(classical.resultCrc()) + " vs " +
                Integer.toHexString(otherTransport) + ")");
        }
        final long rawBytesPerRep = Math.max(MIN_RAW_AERON_BYTES_PER_REP, (long)(bytes * busFactor));
        final int rawWarmUp = Math.max(MIN_RAW_AERON_WARM_UP, warmUp);
        final double rawBytesPerSecond = Figures.median(RawAeronThroughput.measure(
            context(transport), classical.chunkLength(), rawBytesPerRep, rawWarmUp, repetitions));
        final double rawRingBytesPerSecond = Figures.median(RawAeronRingThroughput.measure(
            context(transport).sendAhead(classical.sendAhead()), classical.chunkLength(), rawBytesPerRep, rawWarmUp, repetitions));

        final long codingCpuNs = Figures.median(new CodingCost(quantum.chunkLength(), (long)(ranks * bytes * busFactor))
            .measure(warmUp, repetitions));

        final ObjectNode result = JSON.createObjectNode()
            .put("transport", transport.name().toLowerCase(Locale.ROOT))
            .put("floats", elements)
            .put("bytes", bytes)
            .put("resultCrc32c", Integer.toHexString(classical.resultCrc()));
        final double classicalBusbw = ring(result.putObject("classical"), classical, bytes, busFactor);
        final double quantumBusbw = ring(result.putObject("quantum"), quantum, bytes, busFactor);
        final double timeRatio = (double)quantum.medianNs() / classical.medianNs();
        result.put("quantumOverClassicalTime", Figures.round(timeRatio));
        result.put("quantumOverClassicalCpu", Figures.round((double)quantum.medianCpuNs() / classical.medianCpuNs()));
        result.put("quantumExtraTimeMs", Figures.round((quantum.medianNs() - classical.medianNs()) / 1e6));
        final long quantumExtraCpuNs = quantum.medianCpuNs() - classical.medianCpuNs();
        result.put("quantumExtraCpuMs", Figures.round(quantumExtraCpuNs / 1e6));
        result.put("quantumExtraRankCpuMs", Figures.round((quantum.medianRankCpuNs() - classical.medianRankCpuNs()) / 1e6));
        result.put("codingCpuMs", Figures.round(codingCpuNs / 1e6));
        if (quantumExtraCpuNs >= codingCpuNs)
        {
            result.put("codingShareOfQuantumExtraCpu", Figures.round((double)codingCpuNs / quantumExtraCpuNs));
        }
        else
        {
            result.putNull("codingShareOfQuantumExtraCpu");
        }
        result.put("rawAeronGBps", Figures.round(rawBytesPerSecond / 1e9));
        result.put("rawAeronMessageBytes", classical.chunkLength());
        result.put("classicalBusbwOverRawAeron", Figures.round(classicalBusbw / rawBytesPerSecond));
        result.put("quantumBusbwOverRawAeron", Figures.round(quantumBusbw / rawBytesPerSecond));
        result.put("rawAeronRingGBps", Figures.round(rawRingBytesPerSecond / 1e9));
        result.put("classicalBusbwOverRawAeronRing", Figures.round(classicalBusbw / rawRingBytesPerSecond));
        result.put("quantumBusbwOverRawAeronRing", Figures.round(quantumBusbw / rawRingBytesPerSecond));
        final long payloadBits = classical.link01().get(LedgerCounter.PAYLOAD_BITS);
        final long onlineQubits = quantum.link01().get(LedgerCounter.ONLINE_QUBITS);
        result.putObject("link0to1")
            .put("classicalPayloadBits", payloadBits)
            .put("quantumPayloadBits", quantum.link01().get(LedgerCounter.PAYLOAD_BITS))
            .put("quantumOnlineQubits", onlineQubits)
            .put("quantumOnlineClassicalBits", quantum.link01().get(LedgerCounter.ONLINE_CLASSICAL_BITS))
            .put("quantumEprConsumed", quantum.link01().get(LedgerCounter.EPR_CONSUMED))
            .put("quantumOfflineQubits", quantum.link01().get(LedgerCounter.OFFLINE_QUBITS))
            .put("onlineQubitsOverClassicalPayloadBits", Figures.round((double)onlineQubits / payloadBits));
        result.putObject("meetsTargets")
            .put("quantumOverClassicalTime", timeRatio <= TARGET_QUANTUM_OVER_CLASSICAL_TIME)
            .put("classicalBusbwOverRawAeron", classicalBusbw >= TARGET_BUSBW_OVER_RAW_AERON * rawBytesPerSecond)
            .put("quantumBusbwOverRawAeron", quantumBusbw >= TARGET_BUSBW_OVER_RAW_AERON * rawBytesPerSecond)
            .put("classicalBusbwOverRawAeronRing", classicalBusbw >= TARGET_BUSBW_OVER_RAW_AERON * rawRingBytesPerSecond)
            .put("quantumBusbwOverRawAeronRing", quantumBusbw >= TARGET_BUSBW_OVER_RAW_AERON * rawRingBytesPerSecond);
        return result;
    }

    /** Writes one ring's figures into {@code node}; returns its median bus bandwidth, bytes per second. */
    private static double ring(final ObjectNode node, final RingMeasurement measurement, final long bytes, final double busFactor)
    {
        final double medianSeconds = measurement.medianNs() / 1e9;
        final double algbw = bytes / medianSeconds;
        final double busbw = algbw * busFactor;
        node.put("medianMs", Figures.round(measurement.medianNs() / 1e6))
            .put("minMs", Figures.round(measurement.minNs() / 1e6))
            .put("algbwGBps", Figures.round(algbw / 1e9))
            .put("busbwGBps", Figures.round(busbw / 1e9))
            .put("medianCpuMs", Figures.round(measurement.medianCpuNs() / 1e6))
            .put("medianRankCpuMs", Figures.round(measurement.medianRankCpuNs() / 1e6))
            .put("coresBusy", Figures.round(measurement.medianCoresBusy()))
            .put("chunkBytes", measurement.chunkLength())
            .put("sendAhead", measurement.sendAhead());
        final ArrayNode times = node.putArray("timesMs");
        for (final long time : measurement.timesNs())
        {
            times.add(Figures.round(time / 1e6));
        }
        return busbw;
    }

    private RingContext context(final TransportKind transport)
    {
        return new RingContext()
            .transport(transport)
            .worldSize(ranks)
            .chunkLength(chunkLength)
            .sendAhead(sendAhead)
            .termLength(termLength)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(30))
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(60));
    }
}
