package org.imednet.export.read;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.api.ImednetApi;
import org.imednet.export.api.ImednetApiFactory;
import org.imednet.export.api.ImednetResources;
import org.imednet.export.model.FormContext;
import org.imednet.export.model.FormInfo;
import org.imednet.export.model.VariableInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Lists a study's forms and variables and emits one {@link FormContext} per selected form. */
final class ListFormsFn extends DoFn<String, FormContext> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ListFormsFn.class);

  private final ApiConfig config;
  private final ImednetApiFactory factory;
  private final FormSelection selection;
  private transient ImednetApi api;

  ListFormsFn(ApiConfig config, ImednetApiFactory factory, FormSelection selection) {
    this.config = config;
    this.factory = factory;
    this.selection = selection;
  }

  @Setup
  public void setup() {
    api = factory.create(config);
  }

  @ProcessElement
  public void process(@Element String studyKey, OutputReceiver<FormContext> out)
      throws IOException {
    List<FormInfo> forms = new ArrayList<>();
    for (JsonNode n : ApiLists.forms(api, studyKey)) {
      forms.add(FormSelection.parseForm(studyKey, n));
    }
    List<VariableInfo> variables = new ArrayList<>();
    for (JsonNode n : ApiLists.all(api, studyKey, ImednetResources.VARIABLES)) {
      variables.add(FormSelection.parseVariable(studyKey, n));
    }
    List<FormContext> selected = selection.select(studyKey, forms, variables);
    LOG.info(
        "Study '{}': reading {} of {} forms ({} variables listed)",
        studyKey,
        selected.size(),
        forms.size(),
        variables.size());
    selected.forEach(out::output);
  }

  @Teardown
  public void teardown() {
    if (api != null) {
      api.close();
    }
  }
}
