package io.qring.it.launcher;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One JSON line a child rank printed, with the parent's clock when it arrived.
 *
 * @param json       the parsed line.
 * @param receivedNs {@link System#nanoTime()} when the parent read it.
 */
public record RankEvent(JsonNode json, long receivedNs)
{
    /** @return the event name ({@code bound}, {@code connected}, {@code result}, {@code error}, ...). */
    public String name()
    {
        return json.path("event").asText();
    }

    /**
     * @param name an event name.
     * @return whether this event has it.
     */
    public boolean is(final String name)
    {
        return name.equals(name());
    }

    /** @return the operation index the event concerns, or -1. */
    public int operation()
    {
        return json.path("operation").asInt(-1);
    }
}
