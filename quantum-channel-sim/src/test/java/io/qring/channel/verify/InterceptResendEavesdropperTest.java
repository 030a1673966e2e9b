package io.qring.channel.verify;

import io.qring.channel.noise.PauliChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterceptResendEavesdropperTest
{
    @Test
    void shouldActAsDephasingHalfTheInterceptFraction()
    {
        assertEquals(PauliChannel.dephasing(0.5), InterceptResendEavesdropper.everyPair().channel());
        assertEquals(PauliChannel.NOISELESS, new InterceptResendEavesdropper(0).channel());
        assertEquals(PauliChannel.dephasing(0.2), new InterceptResendEavesdropper(0.4).channel());
    }

    @Test
    void shouldAddAQuarterOfTheInterceptFractionToTheQberOfANoiselessLink()
    {
        for (final double fraction : new double[] {0, 0.1, 0.5, 1})
        {
            final PauliChannel attacked = new InterceptResendEavesdropper(fraction).attack(PauliChannel.NOISELESS);
            assertEquals(fraction / 4, QberVerifier.expectedQber(attacked), 1e-15);
            assertEquals(0, attacked.b2FlipProbability(), "Z-basis correlations survive a Z measurement");
        }
    }

    @Test
    void shouldRejectFractionsOutsideZeroToOne()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new InterceptResendEavesdropper(-0.1));
        assertTrue(ex.getMessage().contains("intercept fraction"));
        assertThrows(IllegalArgumentException.class, () -> new InterceptResendEavesdropper(Double.NaN));
    }
}
