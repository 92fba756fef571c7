package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ValuesTest {
  /** The grammar {@link Values#isNumber} scans, as the regular expression it replaced. */
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  @Test
  void isNumberAgreesWithTheRegularExpression() {
    String[] examples = {
      "",
      "0",
      "007",
      "10000499",
      "-1",
      "+1",
      "1.",
      ".5",
      ".",
      "+",
      "-",
      "1.5",
      "-.5",
      "+.e1",
      "1e5",
      "1E-5",
      "1e",
      "1e+",
      "1.e5",
      ".e5",
      "1.5e10",
      "e5",
      "1 ",
      " 1",
      "1a",
      "\u0661\u0662",
      "0x10",
      "1.2.3",
      "--1",
      "NaN",
      "Infinity",
      "2024-01-01"
    };
    for (String s : examples) {
      assertEquals(NUMBER.matcher(s).matches(), Values.isNumber(s), s);
    }
    // Random strings over the grammar's alphabet and a few others.
    String alphabet = "0123456789.eE+-x ";
    Random random = new Random(1);
    for (int n = 0; n < 200_000; n++) {
      StringBuilder s = new StringBuilder();
      for (int len = random.nextInt(8); len > 0; len--) {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      assertEquals(NUMBER.matcher(s).matches(), Values.isNumber(s.toString()), s.toString());
    }
  }

  @Test
  void parseNumberGivesTheDecimalOrNull() {
    assertEquals(new BigDecimal("10000499"), Values.parseNumber("10000499"));
    assertEquals(new BigDecimal("-1.5E+3"), Values.parseNumber("-1.5e3"));
    assertEquals(null, Values.parseNumber("NOT DONE"));
    assertEquals(null, Values.parseNumber("1".repeat(65)));
  }
}
