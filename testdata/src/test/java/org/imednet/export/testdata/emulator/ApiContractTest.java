package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.whitelist.ValidationErrorsWhitelist;
import com.atlassian.oai.validator.whitelist.rule.WhitelistRules;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.imednet.export.testdata.SampleStudies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Validates real emulator requests and responses against the API's own OpenAPI description
 * (src/test/resources/openapi/mednet.yaml, MIT, copied from fderuiter/imednet-openapi-spec).
 */
class ApiContractTest {
  private static ImednetEmulator emu;
  private static EmulatorClient client;
  private static OpenApiInteractionValidator validator;

  @BeforeAll
  static void start() throws IOException {
    emu =
        ImednetEmulator.builder().data(FolderStudyData.load(SampleStudies.root())).build().start();
    client = new EmulatorClient(emu);
    validator =
        OpenApiInteractionValidator.createForInlineApiSpecification(specAsOpenApi30())
            .withLevelResolver(LevelResolver.create().build())
            .withWhitelist(
                ValidationErrorsWhitelist.create()
                    .withRule(
                        // Variable.label is `type: string` in mednet.yaml, but real studies have
                        // variables without a label (the reference lists null labels among the
                        // data the exporter must survive), so the sample data keeps one. Only a
                        // null label on the variables list is accepted; any other type error fails.
                        "Variable.label may be null",
                        WhitelistRules.allOf(
                            WhitelistRules.isResponse(),
                            WhitelistRules.pathContainsSubstring("/variables"),
                            WhitelistRules.messageContainsRegexp(
                                "^\\[Path '/data/\\d+/label'\\] Instance type \\(null\\)"))))
            .build();
  }

  /**
   * mednet.yaml declares {@code openapi: 3.1.0} but is written in OpenAPI 3.0 idioms ({@code
   * nullable: true}, single-string {@code type}s, no 3.1-only keywords). Read as 3.1, the
   * validator's 3.1 path treats every string parameter value as JSON ("Unrecognized token
   * 'CARDIO01'") and ignores {@code nullable}. So we validate against the same document labelled
   * 3.0.3; nothing else in it is changed.
   */
  private static String specAsOpenApi30() throws IOException {
    try (InputStream in = ApiContractTest.class.getResourceAsStream("/openapi/mednet.yaml")) {
      String spec = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String relabelled = spec.replaceFirst("(?m)^openapi: 3\\.1\\.0$", "openapi: 3.0.3");
      assertTrue(!relabelled.equals(spec), "mednet.yaml no longer declares openapi: 3.1.0");
      return relabelled;
    }
  }

  @AfterAll
  static void stop() {
    emu.close();
  }

  private static ValidationReport validate(
      String path, HttpResponse<String> response, String... params) {
    SimpleRequest.Builder request =
        SimpleRequest.Builder.get(ImednetEmulator.API_PREFIX + path)
            .withHeader("x-api-key", emu.apiKey())
            .withHeader("x-imn-security-key", emu.securityKey());
    for (int i = 0; i < params.length; i += 2) {
      request.withQueryParam(params[i], params[i + 1]);
    }
    SimpleResponse.Builder r =
        SimpleResponse.Builder.status(response.statusCode()).withBody(response.body());
    response.headers().map().forEach((k, v) -> r.withHeader(k, v));
    return validator.validate(request.build(), r.build());
  }

  private static void assertValid(ValidationReport report) {
    assertTrue(!report.hasErrors(), () -> report.getMessages().toString());
  }

  @Test
  void studiesList() throws Exception {
    assertValid(validate("/studies", client.get("/studies")));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "sites",
        "forms",
        "intervals",
        "variables",
        "subjects",
        "visits",
        "records",
        "recordRevisions"
      })
  void everyResourceOfEveryStudy(String resource) throws Exception {
    for (String study : SampleStudies.keys()) {
      String path = "/studies/" + study + "/" + resource;
      for (String page : new String[] {"0", "1"}) {
        String[] params = {"page", page, "size", "100", "sort", "dateCreated,DESC"};
        HttpResponse<String> response = client.get(path, params);
        assertEquals(200, response.statusCode());
        assertValid(validate(path, response, params));
      }
    }
  }

  @Test
  void recordsWithFilters() throws Exception {
    String path = "/studies/CARDIO01/records";
    String[] params = {
      "filter", "formId==3102;recordId>880000", "recordDataFilter", "AETERM=~head", "size", "500"
    };
    assertValid(validate(path, client.get(path, params), params));
  }

  @Test
  void nullLabelIsTheOnlyWhitelistedDeviation() throws Exception {
    HttpResponse<String> variables =
        client.get("/studies/CARDIO01/variables", "filter", "variableName==VSCOMM");
    assertValid(
        validate("/studies/CARDIO01/variables", variables, "filter", "variableName==VSCOMM"));
    // The same null anywhere else is still an error: the whitelist is that narrow.
    String forms = client.get("/studies/CARDIO01/forms", "size", "1").body();
    String broken = forms.replaceFirst("\"formName\":\"[^\"]*\"", "\"formName\":null");
    HttpResponse<String> fake = new FakeResponse(200, broken);
    assertTrue(validate("/studies/CARDIO01/forms", fake, "size", "1").hasErrors());
  }

  @Test
  void errorResponses() throws Exception {
    HttpResponse<String> unauthorized =
        client.send("/studies/CARDIO01/forms", "nope", "nope", Duration.ofSeconds(5));
    assertEquals(401, unauthorized.statusCode());
    assertValid(validate("/studies/CARDIO01/forms", unauthorized));
    HttpResponse<String> notFound = client.get("/studies/NOPE/forms");
    assertEquals(404, notFound.statusCode());
    assertValid(validate("/studies/NOPE/forms", notFound));
    HttpResponse<String> badRequest = client.get("/studies/CARDIO01/forms", "size", "501");
    assertEquals(400, badRequest.statusCode());
    assertValid(validate("/studies/CARDIO01/forms", badRequest, "size", "501"));
  }

  /** A canned response for negative validation checks. */
  private static final class FakeResponse implements HttpResponse<String> {
    private final int status;
    private final String body;

    FakeResponse(int status, String body) {
      this.status = status;
      this.body = body;
    }

    @Override
    public int statusCode() {
      return status;
    }

    @Override
    public java.net.http.HttpRequest request() {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return java.net.http.HttpHeaders.of(
          java.util.Map.of("Content-Type", java.util.List.of("application/json")), (a, b) -> true);
    }

    @Override
    public String body() {
      return body;
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.URI uri() {
      return java.net.URI.create(emu.baseUrl());
    }

    @Override
    public java.net.http.HttpClient.Version version() {
      return java.net.http.HttpClient.Version.HTTP_1_1;
    }
  }
}
