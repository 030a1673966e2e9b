package io.qring.channel.noise;

import java.util.ArrayList;
import java.util.List;

/**
 * The one-damping-stage rule of a link (DESIGN §3): amplitude damping is simulated exactly through its
 * Bell weights only as the single damping stage a pair passes through. The coherence damping leaves
 * behind is invisible to later Pauli channels but not to a second damping, so a link that damps in two
 * of its stages (distribution channel, T1/T2 memory, online channel) would not be simulated exactly and
 * is refused.
 */
public final class DampingStages
{
    /** How the T1/T2 memory is named among a link's stages: it damps both stored halves. */
    public static final String MEMORY = "the T1/T2 memory (it damps both stored halves)";
    /** How the distribution channel is named among a link's stages. */
    public static final String DISTRIBUTION = "the distribution channel";
    /** How the online channel is named among a link's stages. */
    public static final String ONLINE = "the online channel";

    private final List<String> damped = new ArrayList<>();

    /**
     * @param stage   name of the stage, e.g. {@link #DISTRIBUTION}.
     * @param damping whether the stage damps.
     * @return this.
     */
    public DampingStages stage(final String stage, final boolean damping)
    {
        if (damping)
        {
            damped.add(stage);
        }
        return this;
    }

    /**
     * @param prefix what the message starts with, naming the link the stages belong to (e.g.
     *               {@code "link '0->1': "}), or empty.
     * @throws IllegalArgumentException naming the stages if more than one damps.
     */
    public void requireAtMostOne(final String prefix)
    {
        if (damped.size() > 1)
        {
            throw new IllegalArgumentException(prefix + "amplitude damping in more than one stage (" + String.join(", ", damped) +
                ") is not a Pauli channel for superdense coding, so the link would not be simulated exactly; damp in one " +
                "stage only");
        }
    }
}
