package io.qring.samples.launcher;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON of what ranks exchange with their launcher ({@link LauncherMessage}, {@link RankResult}). Ledger
 * snapshots are written in their own JSON form ({@link LedgerSnapshot#toJson()}) and read back exactly.
 */
final class LauncherJson
{
    /** The mapper, configured once; NaN (the loss of a job that does not train) round-trips. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .addModule(new SimpleModule("qring-ledger").addDeserializer(LedgerSnapshot.class, new SnapshotDeserializer()))
        .build();

    private LauncherJson()
    {
    }

    static String write(final Object value)
    {
        try
        {
            return MAPPER.writeValueAsString(value);
        }
        catch (final JsonProcessingException ex)
        {
            throw new UncheckedIOException("could not write " + value.getClass().getSimpleName() + " as JSON", ex);
        }
    }

    static <T> T read(final String json, final Class<T> type)
    {
        try
        {
            return MAPPER.readValue(json, type);
        }
        catch (final JsonProcessingException ex)
        {
            throw new UncheckedIOException("could not read a " + type.getSimpleName() + " from JSON: " + ex.getOriginalMessage(), ex);
        }
    }

    /** Rebuilds a snapshot from {@code {"link": ..., "capacityBitsPerQubit": ..., "<counter key>": n, ...}}. */
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
                    ledger.add(counter, value.asLong());
                }
            }
            final JsonNode capacity = node.get("capacityBitsPerQubit");
            if (null != capacity)
            {
                ledger.capacityBitsPerQubit(capacity.asDouble());
            }
            return ledger.snapshot();
        }
    }
}
