package org.imednet.export.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.Resource;
import org.imednet.export.testdata.emulator.Slice;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.junit.jupiter.api.Test;

/**
 * {@link ListScanner} against the Jackson scan it stands in for: where it answers, the answer is
 * Jackson's (same envelope, same item ranges, the same id nodes, of the same classes); where
 * Jackson rejects a body, it does not answer.
 */
class ListScannerTest {
  private static final String ENVELOPE_START =
      "{\"metadata\":{\"status\":\"OK\",\"method\":\"GET\",\"path\":\"/x\",\"timestamp\":"
          + "\"2024-01-01 00:00:00\",\"error\":{}},\"pagination\":{\"currentPage\":0,\"size\":500,"
          + "\"totalPages\":3,\"totalElements\":1200,\"sort\":[{\"property\":\"recordId\","
          + "\"direction\":\"ASC\"}]},\"data\":";

  private static byte[] page(String data) {
    return (ENVELOPE_START + data + "}").getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** Asserts the scanner answers, and answers as Jackson does. */
  private static void assertScannedAsJackson(byte[] body) throws IOException {
    RecordJson.ListBody fast = ListScanner.scan(body);
    assertNotNull(fast, () -> "the scanner gave up on " + new String(body, StandardCharsets.UTF_8));
    assertSameBody(RecordJson.scanListWithJackson(body), fast);
  }

  /**
   * Asserts the scanner either gives up or answers as Jackson does, and gives up where it throws.
   */
  private static boolean assertNeverDiffers(byte[] body) throws IOException {
    RecordJson.ListBody fast = ListScanner.scan(body);
    RecordJson.ListBody jackson;
    try {
      jackson = RecordJson.scanListWithJackson(body);
    } catch (IOException e) {
      assertNull(
          fast,
          () -> "answered where Jackson rejects: " + new String(body, StandardCharsets.UTF_8));
      return false;
    }
    if (fast != null) {
      assertSameBody(jackson, fast);
    }
    return fast != null;
  }

  private static void assertSameBody(RecordJson.ListBody expected, RecordJson.ListBody actual) {
    assertEquals(expected.isObject(), actual.isObject(), "isObject");
    assertEquals(expected.pagination(), actual.pagination(), "pagination");
    assertEquals(expected.dataIsArray(), actual.dataIsArray(), "dataIsArray");
    assertEquals(expected.dataSize(), actual.dataSize(), "dataSize");
    assertEquals(expected.allItemsObjects(), actual.allItemsObjects(), "allItemsObjects");
    JsonItems e = expected.data();
    JsonItems a = actual.data();
    if (e == null || a == null) {
      assertSame(e, a, "data");
      return;
    }
    assertSame(e.body(), a.body());
    assertEquals(e.size(), a.size(), "items");
    for (int i = 0; i < e.size(); i++) {
      assertEquals(e.start(i), a.start(i), "start of item " + i);
      assertEquals(e.end(i), a.end(i), "end of item " + i);
      assertEquals(e.recordId(i), a.recordId(i), "recordId of item " + i);
      assertEquals(e.formId(i), a.formId(i), "formId of item " + i);
      if (e.recordId(i) != null) {
        assertEquals(e.recordId(i).getClass(), a.recordId(i).getClass(), "recordId node class");
      }
      if (e.formId(i) != null) {
        assertEquals(e.formId(i).getClass(), a.formId(i).getClass(), "formId node class");
      }
    }
  }

  @Test
  void everySampleStudyResourceAsAPageIsScannedAsJacksonScansIt() throws Exception {
    int pages = 0;
    try (DirectoryStream<Path> studies = Files.newDirectoryStream(SampleStudies.root())) {
      for (Path study : studies) {
        for (Resource r : Resource.values()) {
          Path file = study.resolve(r.fileName());
          if (Files.exists(file)) {
            assertScannedAsJackson(page(Files.readString(file, StandardCharsets.UTF_8)));
            pages++;
          }
        }
      }
    }
    assertEquals(16, pages);
  }

  @Test
  void syntheticRecordPagesAreScannedAsJacksonScansThem() throws Exception {
    SyntheticStudyData data =
        new SyntheticStudyData(SyntheticStudySpec.create().withRecordsPerStudy(2000));
    for (long offset = 0; offset < 2000; offset += 500) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(bytes(ENVELOPE_START + "["));
      data.writeItems(out, "SYN001", Resource.RECORDS, Slice.all(), offset, false, 500);
      out.write(bytes("]}"));
      assertScannedAsJackson(out.toByteArray());
    }
  }

  @Test
  void plainButUnusualBodiesAreScannedAsJacksonScansThem() throws Exception {
    List<String> bodies =
        List.of(
            "{}",
            " \t\r\n{ \"data\" : [ ] , \"pagination\" : null }\n",
            "{\"data\":[{}]}",
            "{\"data\":null}",
            "{\"data\":{\"recordId\":1}}",
            "{\"data\":\"x\",\"pagination\":[1,2]}",
            "{\"data\":[{\"recordId\":1}],\"data\":[{\"recordId\":2},{\"recordId\":3}]}",
            "{\"pagination\":{\"a\":1},\"pagination\":{\"b\":2},\"data\":[]}",
            "{\"data\":[{\"recordId\":1,\"recordId\":2,\"formId\":3,\"formId\":-4}]}",
            "{\"data\":[{\"recordId\":2147483647,\"formId\":-2147483648}]}",
            "{\"data\":[{\"recordId\":2147483648,\"formId\":-2147483649}]}",
            "{\"data\":[{\"recordId\":999999999999999999,\"formId\":-999999999999999999}]}",
            "{\"data\":[{\"recordId\":9223372036854775807,\"formId\":12345678901234567890}]}",
            "{\"data\":[{\"recordId\":1.5,\"formId\":1e3}]}",
            "{\"data\":[{\"recordId\":-0,\"formId\":0}]}",
            "{\"data\":[{\"recordId\":\"7\",\"formId\":null}]}",
            "{\"data\":[{\"recordId\":true,\"formId\":false}]}",
            "{\"data\":[{\"recordId\":{\"a\":[1]},\"formId\":[1,{\"b\":2}]}]}",
            "{\"data\":[{\"recordData\":{\"recordId\":9,\"formId\":8},\"keywords\":[[[]]]}]}",
            "{\"data\":[{\"note\":\"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\","
                + "\"ü\":\"Étude ✓ 𝄞\",\"recordData\":{\"k\\u0065y\":1},\"recordId\":5}]}",
            "{\"data\":[{\"n\":[0,-1,1.25,-0.5e-3,2E+10,1e0]},{\"recordId\":6}]}",
            "{\"metadata\":{\"deep\":[[[[[[[[[[{\"x\":[]}]]]]]]]]]]},\"data\":[]}");
    for (String body : bodies) {
      assertScannedAsJackson(bytes(body));
    }
  }

  @Test
  void whatOnlyJacksonCanSayIsLeftToJackson() throws Exception {
    List<String> bodies =
        List.of(
            "",
            "[]",
            "null",
            "\uFEFF{\"data\":[]}",
            "{\"data\":[]} x",
            "{\"data\":[]}{}",
            "{\"d\\u0061ta\":[]}",
            "{\"data\":[{\"record\\u0049d\":1}]}",
            "{\"data\":[1]}",
            "{\"data\":[{\"recordId\":1},\"x\"]}",
            "{\"data\":[{\"recordId\":1},]}",
            "{\"data\":[{\"recordId\":1,}]}",
            "{\"data\":[{\"recordId\":01}]}",
            "{\"data\":[{\"recordId\":+1}]}",
            "{\"data\":[{\"recordId\":1.}]}",
            "{\"data\":[{\"recordId\":.5}]}",
            "{\"data\":[{\"recordId\":1e}]}",
            "{\"data\":[{\"recordId\":NaN}]}",
            "{\"data\":[{\"recordId\":tru}]}",
            "{\"data\":[{\"recordId\":truex}]}",
            "{\"data\":[{'recordId':1}]}",
            "{\"data\":[{\"a\":\"tab\there\"}]}",
            "{\"data\":[{\"a\":\"\\x\"}]}",
            "{\"data\":[{\"a\":\"\\u12G4\"}]}",
            "{\"data\":[{\"recordId\":1}] // comment\n}",
            "{\"data\":[{\"a\":[" + "[".repeat(300) + "]".repeat(300) + "]}]}");
    for (String body : bodies) {
      assertNull(ListScanner.scan(bytes(body)), body);
      assertNeverDiffers(bytes(body));
    }
    // Malformed UTF-8 inside a string: a lone continuation byte, an overlong form, a surrogate.
    for (byte[] bad :
        List.of(
            new byte[] {(byte) 0x80},
            new byte[] {(byte) 0xC0, (byte) 0xAF},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80})) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(bytes("{\"data\":[{\"a\":\""));
      out.write(bad);
      out.write(bytes("\"}]}"));
      assertNull(ListScanner.scan(out.toByteArray()));
    }
  }

  @Test
  void everyTruncationAndEverySingleByteChangeIsRejectedOrScannedAsJacksonDoes() throws Exception {
    byte[] body =
        bytes(
            "{\"metadata\":{\"status\":\"OK\"},\"pagination\":{\"totalPages\":1,\"sort\":[]},"
                + "\"data\":[{\"recordId\":12,\"formId\":3,\"recordData\":{\"A\":\"1\",\"B\":"
                + "\"caf\\u00e9 ✓\",\"C\":[1.5e2,true,null]}},{\"recordId\":-7,\"k\":{}}]}");
    assertScannedAsJackson(body);
    for (int length = 0; length < body.length; length++) {
      byte[] prefix = java.util.Arrays.copyOf(body, length);
      assertNeverDiffers(prefix);
    }
    byte[] replacements = bytes("{}[]\",:\\ 0-9.eE+tfnu\u007f");
    Random random = new Random(7);
    int answered = 0;
    List<Integer> positions = new ArrayList<>();
    for (int at = 0; at < body.length; at++) {
      positions.add(at);
    }
    for (int at : positions) {
      for (int k = 0; k < 4; k++) {
        byte[] changed = body.clone();
        changed[at] =
            k == 3
                ? (byte) (0x80 + random.nextInt(128))
                : replacements[random.nextInt(replacements.length)];
        if (assertNeverDiffers(changed)) {
          answered++;
        }
      }
    }
    if (answered == 0) {
      fail("no changed body was valid JSON; the check compared nothing");
    }
  }
}
