package io.qring.allreduce;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerJsonTest
{
    @Test
    void shouldWriteTheLinkGoodputCapacityAndEveryCounterInOrder() throws Exception
    {
        final LedgerSnapshot snapshot = RingTestSupport.distinctSnapshot("2->3", 1, 1.75);

        final JsonNode json = new ObjectMapper().readTree(LedgerJson.toJson(snapshot));

        final List<String> fields = new ArrayList<>();
        for (final Iterator<String> names = json.fieldNames(); names.hasNext(); )
        {
            fields.add(names.next());
        }
        final List<String> expected = new ArrayList<>(List.of("link", "goodputBitsPerQubit", "capacityBitsPerQubit"));
        for (final LedgerCounter counter : LedgerCounter.values())
        {
            expected.add(counter.key());
        }
        assertEquals(expected, fields);
        assertEquals("2->3", json.get("link").asText());
        assertEquals(1.75, json.get("capacityBitsPerQubit").asDouble());
        assertEquals(snapshot.goodputBitsPerQubit(), json.get("goodputBitsPerQubit").asDouble());
        for (final LedgerCounter counter : LedgerCounter.values())
        {
            assertEquals(snapshot.get(counter), json.get(counter.key()).asLong(), counter.key());
        }
    }

    @Test
    void shouldReadSnapshotsBackExactlyInsideALargerDocument() throws Exception
    {
        final ObjectMapper mapper = LedgerJson.mapper();
        final Map<String, List<LedgerSnapshot>> document = Map.of("links", List.of(RingTestSupport.distinctSnapshot("0->1", 1, 1.5), RingTestSupport.distinctSnapshot("1->0", 3, 2.0)));

        final JsonNode tree = mapper.readTree(mapper.writeValueAsString(document));
        final LedgerSnapshot first = mapper.treeToValue(tree.get("links").get(0), LedgerSnapshot.class);
        final LedgerSnapshot second = mapper.treeToValue(tree.get("links").get(1), LedgerSnapshot.class);

        assertEquals(document.get("links"), List.of(first, second));
    }

    @Test
    void shouldRefuseACounterThatIsNotANonNegativeIntegerAndACapacityThatIsNotANumber()
    {
        final ObjectMapper mapper = LedgerJson.mapper();
        final String payload = LedgerCounter.PAYLOAD_BITS.key();
        for (final String value : List.of("\"12\"", "1.5", "-3", "true", "1e30"))
        {
            final JsonMappingException ex = assertThrows(JsonMappingException.class,
                () -> mapper.readValue("{\"link\":\"0->1\",\"" + payload + "\":" + value + "}", LedgerSnapshot.class), value);
            assertTrue(ex.getMessage().contains("ledger snapshot of 0->1: " + payload + " must be a non-negative integer, got " +
                value.replace("1e30", "1.0E30")), ex.getMessage());
        }
        for (final String value : List.of("\"2\"", "2.5", "-0.1"))
        {
            final JsonMappingException capacity = assertThrows(JsonMappingException.class,
                () -> mapper.readValue("{\"link\":\"0->1\",\"capacityBitsPerQubit\":" + value + "}", LedgerSnapshot.class));
            assertTrue(capacity.getMessage().contains("capacityBitsPerQubit must be a number in [0, 2]"), capacity.getMessage());
        }
    }
}
