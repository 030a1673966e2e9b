package io.qring.samples.launcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.qring.allreduce.LedgerJson;

import java.io.UncheckedIOException;

/**
 * JSON of what ranks exchange with their launcher ({@link LauncherMessage}, {@link RankResult}). Ledger
 * snapshots are written in their own JSON form ({@link LedgerJson}) and read back exactly.
 */
final class LauncherJson
{
    /** The mapper, configured once; NaN (the loss of a job that does not train) round-trips. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .addModule(LedgerJson.module())
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
}
