package org.imednet.export.cli;

import java.nio.file.Path;
import java.util.List;
import javax.annotation.Nullable;

/** The {@code STUDY DB} or {@code --all-studies DB} arguments of the history commands. */
final class StudyAndDatabase {
  /** The study key, or null with {@code --all-studies}. */
  final @Nullable String study;

  final Path database;

  private StudyAndDatabase(@Nullable String study, Path database) {
    this.study = study;
    this.database = database;
  }

  static StudyAndDatabase parse(List<String> positional, boolean allStudies) {
    if (allStudies) {
      if (positional.size() != 1) {
        throw new UsageError("with --all-studies give only the DuckDB file");
      }
      return new StudyAndDatabase(null, Path.of(positional.get(0)));
    }
    if (positional.size() != 2) {
      throw new UsageError("give STUDY and DB (or --all-studies DB)");
    }
    return new StudyAndDatabase(positional.get(0), Path.of(positional.get(1)));
  }
}
