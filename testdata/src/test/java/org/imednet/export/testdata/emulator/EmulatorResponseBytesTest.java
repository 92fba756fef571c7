package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.generator.SyntheticStudyData;
import org.imednet.export.testdata.generator.SyntheticStudySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins the exact bytes the emulator sends (status lines, headers and bodies; only the values of
 * {@code Date} headers are masked) as length and SHA-256, so that work on its speed cannot change a
 * single byte. The digests were taken from the emulator as it was on the JDK's {@code
 * com.sun.net.httpserver}, before its own HTTP server and the direct writing of subjects and visits
 * replaced it; a deliberate change of a response updates them here.
 *
 * <p>{@link #responses} are single requests in the form the exporter's client sends them (encoded
 * query, {@code Accept: application/json}) with {@code Connection: close}: record, metadata and
 * error pages, faults, the rate budget. {@link #exchanges} are raw byte sequences on one
 * connection: keep-alive and pipelining, HTTP/1.0, HEAD, request bodies, and malformed requests.
 * The client half-closes after sending, so every exchange ends with the server closing the
 * connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulatorResponseBytesTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-03-04T05:06:07Z"), ZoneOffset.UTC);
  private static final Pattern DATE_HEADER = Pattern.compile("(?m)^(Date: )[^\r\n]*");

  /** The benchmark's study: seed 42, 1 study, 20 forms, 30 variables, 1 M records. */
  private ImednetEmulator synthetic;

  /** One form of 400 variables: a 500-record page is over 2 MB and goes out chunked. */
  private ImednetEmulator wide;

  /** The sample studies (FolderStudyData): every page goes through item trees. */
  private ImednetEmulator samples;

  /** Faults on most resources. */
  private ImednetEmulator faulty;

  /** A budget of one request per second, with a ticker that never leaves the first second. */
  private ImednetEmulator limited;

  @BeforeAll
  void start() {
    synthetic = emulator(SyntheticStudySpec.parse("42,1,20,30,1000000")).build().start();
    wide = emulator(SyntheticStudySpec.parse("7,1,1,400,2000")).build().start();
    samples =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .clock(CLOCK)
            .build()
            .start();
    faulty =
        emulator(SyntheticStudySpec.parse("42,1,20,30,1000000"))
            .faults(
                FaultPlan.builder()
                    .onResource("records")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.truncatedBody())
                    .onResource("subjects")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.missingTotalPages())
                    .onResource("visits")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.negativeTotalPages())
                    .onResource("sites")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.tooManyRequests(Duration.ofSeconds(7)))
                    .onResource("intervals")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.tooManyRequestsUntil(Duration.ofSeconds(9)))
                    .onResource("forms")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.status(503))
                    .onResource("variables")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.status(418))
                    .onResource("recordRevisions")
                    .nth(1)
                    .times(Integer.MAX_VALUE)
                    .fault(Fault.connectionReset())
                    .build())
            .build()
            .start();
    limited =
        emulator(SyntheticStudySpec.parse("42,1,20,30,1000000"))
            .requestsPerSecond(1)
            .ticker(() -> 0L)
            .build()
            .start();
  }

  private static ImednetEmulator.Builder emulator(SyntheticStudySpec spec) {
    return ImednetEmulator.builder().data(new SyntheticStudyData(spec)).clock(CLOCK);
  }

  @AfterAll
  void stop() {
    for (ImednetEmulator emu : new ImednetEmulator[] {synthetic, wide, samples, faulty, limited}) {
      if (emu != null) {
        emu.close();
      }
    }
  }

  private static final String S = "/api/v1/edc/studies";
  private static final String SYN = S + "/SYN001";
  private static final String REC = SYN + "/records?";

  /** The exporter's keyset query, to be followed by the encoded filter. */
  private static final String KEYSET = REC + "page=0&size=500&sort=recordId%2CASC&filter=";

  /** Emulator, name, method, request target, extra header lines, "length SHA-256". */
  static Stream<Arguments> responses() {
    return Stream.of(
        pin(
            "synthetic",
            "studies",
            "GET",
            S + "?page=0&size=500&sort=studyKey%2CASC",
            "",
            "559 6a49a26dd73b9039d7959129d8c7e73b81a9c6dced78718ba66bf530413d1b11"),
        pin(
            "synthetic",
            "sites",
            "GET",
            SYN + "/sites?page=0&size=500&sort=siteId%2CASC",
            "",
            "1192 c0185986f1c5d4d9e7ea03bf11608a76080c9f2bcd149d8edf8a85a254cfda46"),
        pin(
            "synthetic",
            "forms",
            "GET",
            SYN + "/forms?page=0&size=500&sort=formId%2CASC",
            "",
            "7957 c23c381e3cd2b5c5dcf0e7a1709727027c8b3a272525a86e503af7c55b945601"),
        pin(
            "synthetic",
            "intervals",
            "GET",
            SYN + "/intervals?page=0&size=500&sort=intervalId%2CASC",
            "",
            "2912 eabce3a3ffd5f9f03daf87885100ddfdd27c1bda09733c06cb6a355a781505f8"),
        pin(
            "synthetic",
            "variables p0",
            "GET",
            SYN + "/variables?page=0&size=500&sort=variableId%2CASC",
            "",
            "182185 2f61cfe3eb1d38ea83851e045ffd9fd8b86dbb8834c729c72c5018b68208984b"),
        pin(
            "synthetic",
            "variables p1",
            "GET",
            SYN + "/variables?page=1&size=500&sort=variableId%2CASC",
            "",
            "36778 64bb15df5cf45e42781b632122a9dc565432a5d032d9ca783462997fe8759610"),
        pin(
            "synthetic",
            "subjects first",
            "GET",
            SYN + "/subjects?page=0&size=500&sort=subjectId%2CASC",
            "",
            "149251 bf8151f262d8347322e80fc17ee6d5162b964b53244a3a0934a20b7afea9703c"),
        pin(
            "synthetic",
            "subjects middle",
            "GET",
            SYN + "/subjects?page=57&size=500&sort=subjectId%2CASC",
            "",
            "150360 9de50cbff514f9b14d8ac9267306795ab13a3487a0eae8131b070b4318723041"),
        pin(
            "synthetic",
            "subjects last",
            "GET",
            SYN + "/subjects?page=99&size=500&sort=subjectId%2CASC",
            "",
            "150360 907b38fb7318cc2cc109bf9a4da8bea816159ea074de1f8a7c7d3f251218d60c"),
        pin(
            "synthetic",
            "subjects beyond",
            "GET",
            SYN + "/subjects?page=100&size=500&sort=subjectId%2CASC",
            "",
            "359 7fca48148896c3d030fd8b17400a213f0077287e07062a898bda470e9ba5f470"),
        pin(
            "synthetic",
            "subjects defaults",
            "GET",
            SYN + "/subjects",
            "",
            "7773 0e931e91a4c21a6f190387322f89f0a61aa2fc0bc52a026647c34c27ac3b3f4c"),
        pin(
            "synthetic",
            "visits first",
            "GET",
            SYN + "/visits?page=0&size=500&sort=visitId%2CASC",
            "",
            "177056 ef619a9a0b06ac28e23e36d73fb71eec2dcdccf86363a1a22e7c7f316b156ced"),
        pin(
            "synthetic",
            "visits middle",
            "GET",
            SYN + "/visits?page=250&size=500&sort=visitId%2CASC",
            "",
            "177058 d9448f54da4c430c34e25c82a3a25e8a1b834bb844f5724e6219b4f1a83e93a1"),
        pin(
            "synthetic",
            "visits last",
            "GET",
            SYN + "/visits?page=499&size=500&sort=visitId%2CASC",
            "",
            "177058 859aa15d7d410eb12118898e876745d152c6891afb4a36f36cfd6a2425742cfd"),
        pin(
            "synthetic",
            "visits descending",
            "GET",
            SYN + "/visits?page=2&size=100&sort=visitId%2CDESC",
            "",
            "35697 1c597741cb106cc7ce0a5a0a44c2b2d778d32b7c58409309a06f19a82d5c2c74"),
        pin(
            "synthetic",
            "visits of a subject",
            "GET",
            SYN + "/visits?size=10&filter=subjectId%3D%3D1000123&sort=visitId%2CASC",
            "",
            "2113 48537553eddbd4bfa163fe6525ce90ebfcccc79c84867226eb5796cee4a1f4ab"),
        pin(
            "synthetic",
            "subjects by key",
            "GET",
            SYN + "/subjects?page=1&size=30&sort=subjectKey%2CDESC",
            "",
            "9359 50deab57467af082536c696308a4d456a4da1367af978bea1b846d35a5fade5e"),
        pin(
            "synthetic",
            "records first",
            "GET",
            KEYSET + "formId%3D%3D1001%3BrecordId%3E10049999",
            "",
            "618073 e4dc41b6dd5d0a7b59fdec882df8bfa42172231bc77ffab57271bd8a09e1915a"),
        pin(
            "synthetic",
            "records middle",
            "GET",
            KEYSET + "formId%3D%3D1001%3BrecordId%3E10074999",
            "",
            "618900 9de785aee6c9b1206e56fe7d1da6622bb04792234aa6560cc132ac2cd853eb01"),
        pin(
            "synthetic",
            "records last",
            "GET",
            KEYSET + "formId%3D%3D1001%3BrecordId%3E10099499",
            "",
            "617501 4e14759d98c95b827d239dd554bcf5823e143171e3a6e500f2eaf57117c907e4"),
        pin(
            "synthetic",
            "records after the last",
            "GET",
            KEYSET + "formId%3D%3D1001%3BrecordId%3E10099999",
            "",
            "349 67d880b1497844c4d4c6cd26df76951f8fa8ab77b81b7bcd421f011b24c2a705"),
        pin(
            "synthetic",
            "records bounded",
            "GET",
            KEYSET + "formId%3D%3D1005%3BrecordId%3E10250000%3BrecordId%3C%3D10250300",
            "",
            "370718 5a8d8c01fc9030b57130a3c8b37c22e191b9f3ee6a0f4e2728f21475c7829ce1"),
        pin(
            "synthetic",
            "records plan first",
            "GET",
            REC + "page=0&size=1&sort=recordId%2CASC&filter=formId%3D%3D1000",
            "",
            "1583 a65f2e339751996d17839a904c873b5bde2b22436f864e7bd4d3ed6f12208cdc"),
        pin(
            "synthetic",
            "records plan last",
            "GET",
            REC + "page=0&size=1&sort=recordId%2CDESC&filter=formId%3D%3D1019",
            "",
            "1575 294400bfb88c04ac253c0b40aa9248b1d061214c8f0a3a7663d03dc2d2f45c11"),
        pin(
            "synthetic",
            "records descending",
            "GET",
            REC + "page=3&size=500&sort=recordId%2CDESC&filter=formId%3D%3D1019",
            "",
            "616924 08b41e816e755eac7b49f893c63d32508e80cc40345e2cad35251b8790bd463d"),
        pin(
            "synthetic",
            "records filtered",
            "GET",
            REC + "page=1&size=50&sort=recordId%2CASC&filter=formId%3D%3D1002%3Bdeleted%3D%3Dtrue",
            "",
            "61759 890e21faabe946225bf5cee81efa258767f024dd45ea60b11739964758c841cb"),
        pin(
            "synthetic",
            "records by recordData",
            "GET",
            REC + "size=20&filter=formId%3D%3D1003&recordDataFilter=V005_TEXT%3D~headache",
            "",
            "25169 d79e3b6b951ac6866b489a8d90f1a2ab72b0451900a63c453c6f89d4fe866815"),
        pin(
            "synthetic",
            "unauthenticated",
            "GET",
            REC + "page=0&size=500",
            "x-api-key: wrong\r\n",
            "308 a5d3cb80ed51c0f17ca36c6f7a42851b3d4075640ee56d4dd46378599d2fa165"),
        pin(
            "synthetic",
            "size too large",
            "GET",
            REC + "page=0&size=501",
            "",
            "290 1936fc4783a6e42d744614abab9252eaa8baea98c98e91b6da82acbd8e98e12e"),
        pin(
            "synthetic",
            "bad filter",
            "GET",
            REC + "filter=formId%3D%3D1001%3B",
            "",
            "287 49d6931ad2cfc4f0983f6e606f538930dc14384e161e75657c8ad226c982c54f"),
        pin(
            "synthetic",
            "unknown study",
            "GET",
            S + "/SYN999/records",
            "",
            "271 1924cc5aae7c7bdd87affbe9c0ed9d652c9edb81fcc873104ecc9c1972aa49c4"),
        pin(
            "synthetic",
            "unknown resource",
            "GET",
            SYN + "/queries",
            "",
            "295 4bcb83e99183a00b1f1ac3771cd44bc20fb4fca098e209dbeecddd73540067b7"),
        pin(
            "synthetic",
            "not GET",
            "POST",
            SYN + "/subjects",
            "",
            "300 36066269e63b6b76a6919627b77f45173bbb7f768d9e6dca414b5e4c677895c8"),
        pin(
            "wide",
            "wide chunked",
            "GET",
            REC + "page=0&size=500",
            "",
            "5198284 58aa662d6b6fa5dbb805ed98bb38cd433c32002b88a1afff9b3409817d8fb39b"),
        pin(
            "wide",
            "wide buffered",
            "GET",
            REC + "page=2&size=60",
            "",
            "622824 a0ac4841309d65508d5eafb317b56a36c80ef4a7465db265b3724749a3f5d851"),
        pin(
            "samples",
            "samples studies",
            "GET",
            S,
            "",
            "814 90882af5da89e4382a511790dc79d84b33c8c9e36bc7a751824d0e433a9b7e54"),
        pin(
            "samples",
            "samples records",
            "GET",
            S + "/CARDIO01/records?page=0&size=25&sort=recordId%2CASC",
            "",
            "15771 adfbaeab087ae45d8947e283522483a68ecbc66dca285eef5c11829d04f543c0"),
        pin(
            "samples",
            "samples subjects",
            "GET",
            S + "/CARDIO01/subjects?size=500",
            "",
            "5231 2210337fd75e913339796bdbe1c3c7171418094efa8f01d303c4af74826e049a"),
        pin(
            "faulty",
            "truncated",
            "GET",
            REC + "filter=formId%3D%3D1001&size=5",
            "",
            "3292 0fe6cfcacaf959d0501b2cd18fdc584fda4591bccd122e956d1d5b9c7d956508"),
        pin(
            "faulty",
            "missing totalPages",
            "GET",
            SYN + "/subjects?size=3",
            "",
            "1226 226dac538d7d7130e27d8f6bc58a7b85ff5df519a01c5b9e21d21d4ee1c40079"),
        pin(
            "faulty",
            "negative totalPages",
            "GET",
            SYN + "/visits?size=3",
            "",
            "1412 c012f90e80392218bf146aba6c2daf66e5bb7c17cbe8daab601177b51e1c0cf0"),
        pin(
            "faulty",
            "429 seconds",
            "GET",
            SYN + "/sites",
            "",
            "271 dfee6e7be14eb9cdc2573df40b77521263cc80d5308768bffe149b929ac6a449"),
        pin(
            "faulty",
            "429 date",
            "GET",
            SYN + "/intervals",
            "",
            "302 b07667ff0454fa2ddb6e08cd46358dce5473010fc7987e054f12533c761e1b80"),
        pin(
            "faulty",
            "503",
            "GET",
            SYN + "/forms",
            "",
            "278 a40a3106f4b742f8d168adabe31ba24e58e9fe80d6c06f4b60b6636637968110"),
        pin(
            "faulty",
            "418",
            "GET",
            SYN + "/variables",
            "",
            "263 dfe5a8cfbc782e61ffce7457c951698b5804a1408eb2a14ae153747fdc3aa9b5"),
        pin(
            "faulty",
            "connection reset",
            "GET",
            SYN + "/recordRevisions",
            "",
            "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        pin(
            "limited",
            "within the budget",
            "GET",
            SYN + "/sites",
            "",
            "1191 55d4be37014d493612785f3fbea41189d0a5ac9c31e211f51e2bc6455f8f3e5e"),
        pin(
            "limited",
            "over the budget",
            "GET",
            SYN + "/sites",
            "",
            "293 25bb7d5ea221d0cf21477fae1be74d20ffd6a51e4b304ddd60ad74752cc14499"));
  }

  /**
   * Raw exchanges on one connection, in HTTP/1.1 and 1.0, with request bodies, malformed requests
   * and pipelining; {@code {host}} and {@code {keys}} stand for the Host and credential header
   * lines. Each ends with the server closing the connection.
   */
  static Stream<Arguments> exchanges() {
    String sites = SYN + "/sites?size=1";
    String close = "GET " + sites + " HTTP/1.1\r\n{host}{keys}Connection: close\r\n\r\n";
    return Stream.of(
        Arguments.of(
            "synthetic",
            "pipelined keep-alive",
            "GET " + SYN + "/subjects?size=2 HTTP/1.1\r\n{host}{keys}\r\n" + close,
            "1459 0bd067ca28be2d38b9fa074c39fba97be7a1a487688a9c8c3c95b6f6793b5611"),
        Arguments.of(
            "synthetic",
            "HTTP/1.0",
            "GET " + sites + " HTTP/1.0\r\n{keys}\r\n",
            "530 55c4609a8c8c880ad6af648cb43f350b5f36d41ad8573bbdd9e5bf9fc7cc6030"),
        Arguments.of(
            "synthetic",
            "HTTP/1.0 keep-alive",
            "GET "
                + sites
                + " HTTP/1.0\r\n{keys}Connection: keep-alive\r\n\r\n"
                + "GET "
                + sites
                + " HTTP/1.0\r\n{keys}\r\n",
            "1098 10e63ad8f5906936abac111573240e4dac6e44f1360cc9eeba29ff37a73c9050"),
        Arguments.of(
            "wide",
            "HTTP/1.0 streamed page",
            "GET " + REC + "page=0&size=500 HTTP/1.0\r\n{keys}\r\n",
            "5188135 2ee7781705c376d2562eae53238690f7977765f21d064c1ad24dd6c6cf68155b"),
        Arguments.of(
            "synthetic",
            "HEAD",
            "HEAD " + sites + " HTTP/1.1\r\n{host}{keys}\r\n" + close,
            "599 b4c35315ca4475dbc2917c0ee36db2eb95027778802810464917f7b723cb02ab"),
        Arguments.of(
            "synthetic",
            "POST with a body",
            "POST "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Content-Length: 11\r\n\r\nhello world"
                + close,
            "808 91a05adf5ae9cc1a1761266eb455ad43d165a6c7da4bd3dc1cecf519f46fdfb1"),
        Arguments.of(
            "synthetic",
            "POST with a chunked body",
            "POST "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Transfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nTrailer: t\r\n\r\n"
                + close,
            "297 79e2b78690da81b886c58a892a41f2aa10660a8e45660d2c92ae5440c3946cbc"),
        Arguments.of(
            "synthetic",
            "Expect 100-continue",
            "PUT "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"
                + close,
            "850 857854a29fafe5a21c4724ef72c243e808eb07b3386898b411bb0117fc4ebe1d"),
        Arguments.of(
            "synthetic",
            "blank lines first",
            "\r\n\r\n" + close,
            "511 15eaec8eb19580eac97c5bb51a4725abb9c09daa1276d75ad6001d697a97607b"),
        Arguments.of(
            "synthetic",
            "header case, duplicates and folding",
            "GET "
                + sites
                + " HTTP/1.1\r\n{host}X-API-KEY:emulator-api-key  \r\nx-api-key: other\r\n"
                + "X-Imn-Security-Key:\temulator-security-key\r\nX-Folded: a\r\n\t b\r\n"
                + "Connection: Close\r\n\r\n",
            "511 15eaec8eb19580eac97c5bb51a4725abb9c09daa1276d75ad6001d697a97607b"),
        Arguments.of(
            "synthetic",
            "folded credential",
            "GET "
                + sites
                + " HTTP/1.1\r\n{host}x-api-key: emulator-\r\n api-key\r\n"
                + "x-imn-security-key: emulator-security-key\r\nConnection: close\r\n\r\n",
            "306 93af052b82c7181941babe32e373cbca1404eb4dbef7c920e8d39ff4e7a0581d"),
        Arguments.of(
            "synthetic",
            "absolute-form target",
            "GET http://127.0.0.1" + sites + " HTTP/1.1\r\n{host}{keys}Connection: close\r\n\r\n",
            "511 15eaec8eb19580eac97c5bb51a4725abb9c09daa1276d75ad6001d697a97607b"),
        Arguments.of(
            "synthetic",
            "encoded path",
            "GET /api/v1/edc/studies/SYN%30%301/sites?size=1 HTTP/1.1\r\n{host}{keys}"
                + "Connection: close\r\n\r\n",
            "511 15eaec8eb19580eac97c5bb51a4725abb9c09daa1276d75ad6001d697a97607b"),
        Arguments.of(
            "synthetic",
            "lower-case method",
            "get " + sites + " HTTP/1.1\r\n{host}{keys}\r\n" + close,
            "806 2843db018b570c634fdc4a8586c63443d75e232c7749515f05dc281df009e7c7"),
        Arguments.of(
            "synthetic",
            "no version",
            "GET " + sites + "\r\n{host}{keys}\r\n",
            "132 30c5eba5ffd52656e762ccf2dc5a60459b8601572a408d8bd51c0e1c5093f4ee"),
        Arguments.of(
            "synthetic",
            "bad request line",
            "GARBAGE\r\n\r\n",
            "132 30c5eba5ffd52656e762ccf2dc5a60459b8601572a408d8bd51c0e1c5093f4ee"),
        Arguments.of(
            "synthetic",
            "bad URI",
            "GET /api/v1/edc/studies/%zz HTTP/1.1\r\n{host}{keys}\r\n",
            "141 c110efb777b15a5c06954f16780ccb21ca3159cf39ca3e87f41bacf48b0c2679"),
        Arguments.of(
            "synthetic",
            "asterisk target",
            "GET * HTTP/1.1\r\n{host}{keys}\r\n",
            "140 bc38d6f74b228194b4d9c6103d7707c2fd297904ebcca1d361e0d83e106cf24d"),
        Arguments.of(
            "synthetic",
            "opaque target",
            "GET mailto:x HTTP/1.1\r\n{host}{keys}\r\n",
            "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Arguments.of(
            "synthetic",
            "bad header name",
            "GET " + sites + " HTTP/1.1\r\n{host}{keys}Bad Name: x\r\n\r\n",
            "154 922ef96e54be759b403063779744f4fabf72af375ae6316d92da360085cde81f"),
        Arguments.of(
            "synthetic",
            "header without colon",
            "GET " + sites + " HTTP/1.1\r\n{host}{keys}Junk\r\n\r\n",
            "154 922ef96e54be759b403063779744f4fabf72af375ae6316d92da360085cde81f"),
        Arguments.of(
            "synthetic",
            "length and chunked",
            "POST "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Content-Length: 5\r\nTransfer-Encoding: chunked"
                + "\r\n\r\n",
            "157 2269fffafc229f73bff0da78a34250ef2902aa75bac9c7e9463c0ca8168cf0bb"),
        Arguments.of(
            "synthetic",
            "two lengths",
            "POST "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Content-Length: 1\r\nContent-Length: 1\r\n\r\n",
            "157 2269fffafc229f73bff0da78a34250ef2902aa75bac9c7e9463c0ca8168cf0bb"),
        Arguments.of(
            "synthetic",
            "unsupported transfer encoding",
            "POST " + sites + " HTTP/1.1\r\n{host}{keys}Transfer-Encoding: gzip\r\n\r\n",
            "159 a8fec382fa81ad41037a71590aaddb411722dc840bee8ff21c23595137d890a6"),
        Arguments.of(
            "synthetic",
            "non-numeric length",
            "POST " + sites + " HTTP/1.1\r\n{host}{keys}Content-Length: abc\r\n\r\n",
            "144 240a774c55137f4251d55fca0a4b5a58833ecc45d50a72b7149f93f27498fd11"),
        Arguments.of(
            "synthetic",
            "negative length",
            "POST " + sites + " HTTP/1.1\r\n{host}{keys}Content-Length: -5\r\n\r\n",
            "144 6fb515d595b6bbb3f6535901f2a31bc6313b064231d6fcf52d8840c9a7e5b761"),
        Arguments.of(
            "synthetic",
            "stray CR before a header",
            "GET " + sites + " HTTP/1.1\r\n\rX-Stray: y\r\n{host}{keys}\r\n",
            "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Arguments.of(
            "synthetic",
            "LF line ends in headers",
            "GET "
                + sites
                + " HTTP/1.1\r\n{host}x-api-key: emulator-api-key\n"
                + "x-imn-security-key: emulator-security-key\nConnection: close\n\n",
            "511 15eaec8eb19580eac97c5bb51a4725abb9c09daa1276d75ad6001d697a97607b"),
        Arguments.of(
            "synthetic",
            "chunked body of 64 KB",
            "POST "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Transfer-Encoding: chunked\r\n\r\n"
                + "10000\r\n"
                + "x".repeat(65_536)
                + "\r\n0\r\n\r\n"
                + close,
            "297 79e2b78690da81b886c58a892a41f2aa10660a8e45660d2c92ae5440c3946cbc"),
        Arguments.of(
            "synthetic",
            "body just under 64 KB",
            "POST "
                + sites
                + " HTTP/1.1\r\n{host}{keys}Content-Length: 65535\r\n\r\n"
                + "x".repeat(65_535)
                + close,
            "808 91a05adf5ae9cc1a1761266eb455ad43d165a6c7da4bd3dc1cecf519f46fdfb1"),
        Arguments.of(
            "synthetic",
            "bad chunk size",
            "POST " + sites + " HTTP/1.1\r\n{host}{keys}Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            "297 79e2b78690da81b886c58a892a41f2aa10660a8e45660d2c92ae5440c3946cbc"),
        Arguments.of(
            "synthetic",
            "closed before a request",
            "",
            "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Arguments.of(
            "synthetic",
            "closed mid-request",
            "GET " + sites + " HTTP/1.1\r\n{host}{keys}",
            "511 15eaec8eb19580eac97c5bb51a4725abb9c09daa1276d75ad6001d697a97607b"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("exchanges")
  void exchangeBytesAreUnchanged(String emulator, String name, String requests, String pin)
      throws IOException {
    ImednetEmulator emu = emulator(emulator);
    String text =
        requests
            .replace("{host}", "Host: 127.0.0.1:" + emu.port() + "\r\n")
            .replace(
                "{keys}",
                "x-api-key: "
                    + emu.apiKey()
                    + "\r\nx-imn-security-key: "
                    + emu.securityKey()
                    + "\r\n");
    byte[] response = masked(exchange(emu, text.getBytes(StandardCharsets.ISO_8859_1)));
    assertEquals(pin, response.length + " " + sha256(response), name);
  }

  private static Arguments pin(
      String emulator, String name, String method, String target, String headers, String pin) {
    return Arguments.of(emulator, name, method, target, headers, pin);
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("responses")
  void responseBytesAreUnchanged(
      String emulator, String name, String method, String target, String headers, String pin)
      throws IOException {
    ImednetEmulator emu = emulator(emulator);
    byte[] response = masked(exchange(emu, method, target, headers));
    assertEquals(pin, response.length + " " + sha256(response), name);
  }

  private ImednetEmulator emulator(String name) {
    return Map.of(
            "synthetic", synthetic,
            "wide", wide,
            "samples", samples,
            "faulty", faulty,
            "limited", limited)
        .get(name);
  }

  /** Sends one request and returns everything the emulator sent until it closed the connection. */
  private static byte[] exchange(ImednetEmulator emu, String method, String target, String headers)
      throws IOException {
    boolean hasKey = headers.toLowerCase(Locale.ROOT).contains("x-api-key");
    String request =
        method
            + " "
            + target
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + emu.port()
            + "\r\n"
            + (hasKey ? "" : "x-api-key: " + emu.apiKey() + "\r\n")
            + "x-imn-security-key: "
            + emu.securityKey()
            + "\r\n"
            + headers
            + "Accept: application/json\r\nConnection: close\r\n\r\n";
    return exchange(emu, request.getBytes(StandardCharsets.US_ASCII));
  }

  /** Sends {@code requests} and returns everything the emulator sent until it closed. */
  private static byte[] exchange(ImednetEmulator emu, byte[] requests) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", emu.port())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(requests);
      out.flush();
      // Half-close: a server still waiting for more of a request sees the end of it.
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toByteArray();
    }
  }

  /** The responses with the values of their {@code Date} headers replaced by {@code X}. */
  private static byte[] masked(byte[] responses) {
    String text = new String(responses, StandardCharsets.ISO_8859_1);
    return DATE_HEADER.matcher(text).replaceAll("$1X").getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
