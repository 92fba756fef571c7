package org.imednet.export.testdata.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A folder that is not in the documented format gets an error naming the file, not a crash. */
class FolderStudyDataErrorsTest {
  @TempDir Path root;

  @Test
  void truncatedJsonNamesTheFileAndLine() throws Exception {
    Path s = Files.createDirectories(root.resolve("S1"));
    Files.writeString(s.resolve("study.json"), "{\"studyKey\":\"S1\"}");
    Files.writeString(s.resolve("records.json"), "[{\"recordId\":1},\n{\"recordId\":");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FolderStudyData.load(root));
    assertEquals(
        s.resolve("records.json")
            + " is not valid JSON (line 2, column 13): Unexpected end-of-input within/between"
            + " Object entries",
        e.getMessage());
  }

  @Test
  void resourcesWithoutStudyJsonAreAnError() throws Exception {
    Path s = Files.createDirectories(root.resolve("S2"));
    Files.writeString(s.resolve("forms.json"), "[]");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FolderStudyData.load(root));
    assertEquals(s + " has resource files but no study.json (one Study object)", e.getMessage());
  }

  @Test
  void aResourceThatIsNotAnArrayIsAnError() throws Exception {
    Path s = Files.createDirectories(root.resolve("S3"));
    Files.writeString(s.resolve("study.json"), "{\"studyKey\":\"S3\"}");
    Files.writeString(s.resolve("forms.json"), "{}");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FolderStudyData.load(root));
    assertEquals(s.resolve("forms.json") + " must hold a JSON array", e.getMessage());
  }

  @Test
  void aMissingRootIsAnError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> FolderStudyData.load(root.resolve("nope")));
    assertEquals("studies folder " + root.resolve("nope") + " does not exist", e.getMessage());
  }
}
