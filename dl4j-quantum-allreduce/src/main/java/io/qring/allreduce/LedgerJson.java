package io.qring.allreduce;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;

import java.io.IOException;

/**
 * The JSON form of a {@link LedgerSnapshot}, one object per link: {@code {"link": "0->1",
 * "goodputBitsPerQubit": 2.0, "capacityBitsPerQubit": 2.0, "payloadBits": ..., ...}}, every
 * {@link LedgerCounter} under its {@link LedgerCounter#key() key} in declaration order. Register
 * {@link #module()} with an {@link ObjectMapper} to write snapshots anywhere in a larger document, and to
 * read them back exactly (the goodput is derived, so it is not read). Reading refuses a counter that is not
 * a non-negative integer and a capacity that is not a number in [0, 2], naming the field.
 */
public final class LedgerJson
{
    private static final ObjectMapper MAPPER = mapper();

    private LedgerJson()
    {
    }

    /** @return a new Jackson module that writes and reads {@link LedgerSnapshot}s in this form. */
    public static SimpleModule module()
    {
        return new SimpleModule("qring-ledger")
            .addSerializer(LedgerSnapshot.class, new SnapshotSerializer())
            .addDeserializer(LedgerSnapshot.class, new SnapshotDeserializer());
    }

    /** @return a new mapper with {@link #module()} registered. */
    public static ObjectMapper mapper()
    {
        return new ObjectMapper().registerModule(module());
    }

    /**
     * @param snapshot the snapshot.
     * @return it as one JSON object.
     */
    public static String toJson(final LedgerSnapshot snapshot)
    {
        try
        {
            return MAPPER.writeValueAsString(snapshot);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException("ledger snapshot of " + snapshot.link() + " could not be written as JSON", ex);
        }
    }

    /** Writes the link, the goodput and the capacity, then every counter. */
    private static final class SnapshotSerializer extends JsonSerializer<LedgerSnapshot>
    {
        @Override
        public void serialize(final LedgerSnapshot snapshot, final JsonGenerator json, final SerializerProvider provider)
            throws IOException
        {
            json.writeStartObject();
            json.writeStringField("link", snapshot.link());
            json.writeNumberField("goodputBitsPerQubit", snapshot.goodputBitsPerQubit());
            json.writeNumberField("capacityBitsPerQubit", snapshot.capacityBitsPerQubit());
            for (final LedgerCounter counter : LedgerCounter.values())
            {
                json.writeNumberField(counter.key(), snapshot.get(counter));
            }
            json.writeEndObject();
        }
    }

    /** Rebuilds a snapshot from its link, capacity and counters; a missing counter counts zero. */
    private static final class SnapshotDeserializer extends JsonDeserializer<LedgerSnapshot>
    {
        @Override
        public LedgerSnapshot deserialize(final JsonParser parser, final DeserializationContext context) throws IOException
        {
            final JsonNode node = parser.readValueAsTree();
            final JsonNode link = node.get("link");
            if (null == link || !link.isTextual())
            {
                throw new IOException("ledger snapshot without a link name: " + node);
            }
            final LinkLedger ledger = new LinkLedger(link.asText());
            for (final LedgerCounter counter : LedgerCounter.values())
            {
                final JsonNode value = node.get(counter.key());
                if (null != value)
                {
                    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0)
                    {
                        throw JsonMappingException.from(parser, "ledger snapshot of " + link.asText() + ": " + counter.key() +
                            " must be a non-negative integer, got " + value);
                    }
                    ledger.add(counter, value.asLong());
                }
            }
            final JsonNode capacity = node.get("capacityBitsPerQubit");
            if (null != capacity)
            {
                if (!capacity.isNumber() || !(capacity.asDouble() >= 0 && capacity.asDouble() <= 2))
                {
                    throw JsonMappingException.from(parser, "ledger snapshot of " + link.asText() +
                        ": capacityBitsPerQubit must be a number in [0, 2], got " + capacity);
                }
                ledger.capacityBitsPerQubit(capacity.asDouble());
            }
            return ledger.snapshot();
        }
    }
}
