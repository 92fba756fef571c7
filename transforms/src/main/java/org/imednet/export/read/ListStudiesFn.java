package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.apache.beam.sdk.transforms.DoFn;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiException;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.api.ImednetResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Emits the key of every study the API key can see ({@code GET /studies}). */
final class ListStudiesFn extends DoFn<byte[], String> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ListStudiesFn.class);

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private transient ImednetApi api;

  ListStudiesFn(ApiConfig config, ImednetApiFactory factory) {
    this.config = config;
    this.factory = factory;
  }

  @Setup
  public void setup() {
    api = factory.create(config);
  }

  @ProcessElement
  public void process(OutputReceiver<String> out) throws IOException {
    int n = 0;
    for (JsonNode study : ApiLists.all(api, null, ImednetResources.STUDIES)) {
      JsonNode key = study.get("studyKey");
      if (key == null || !key.isTextual() || key.asText().isBlank()) {
        throw new ImednetApiException(
            "The studies list has a study without studyKey: " + study, 0, null);
      }
      out.output(key.asText());
      n++;
    }
    LOG.info("The API key can see {} studies; reading all of them", n);
  }

  @Teardown
  public void teardown() {
    if (api != null) {
      api.close();
    }
  }
}
