package org.imednet.export.sinks.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LakeLocationTest {
  @Test
  void schemesOtherThanFileAreRemote() {
    assertTrue(LakeLocation.isRemote("s3://bucket/lake"));
    assertTrue(LakeLocation.isRemote("gs://bucket/a/lake"));
    assertTrue(LakeLocation.isRemote("hdfs://namenode:8020/data/lake"));
    assertFalse(LakeLocation.isRemote("file:///data/lake"));
    assertFalse(LakeLocation.isRemote("FILE:///data/lake"));
    assertFalse(LakeLocation.isRemote("/data/lake"));
    assertFalse(LakeLocation.isRemote("out/lake"));
    assertFalse(LakeLocation.isRemote("C:\\data\\lake"));
    assertFalse(LakeLocation.isRemote("s3:/bucket/lake"));
  }

  @Test
  void localPathsAndFileUrisBecomePaths() {
    assertEquals(Path.of("/data/lake"), LakeLocation.localPath("file:///data/lake"));
    assertEquals(Path.of("out/lake"), LakeLocation.localPath("out/lake"));
    assertThrows(IllegalArgumentException.class, () -> LakeLocation.localPath("s3://b/lake"));
  }

  @Test
  void remoteFoldersAreNormalisedAndPlacedBesideTheirStaging() {
    assertEquals("s3://bucket/a/lake", LakeLocation.remoteFolder("S3://bucket/a/lake//"));
    String lake = LakeLocation.remoteFolder("gs://bucket/exports/lake");
    assertEquals("gs://bucket/exports", LakeLocation.parent(lake));
    assertEquals("lake", LakeLocation.name(lake));
    assertEquals("gs://bucket/exports/.lake.staging", LakeLocation.stagingRoot(lake));
    assertTrue(LakeLocation.nested("s3://b/lake", "s3://b/lake/meta"));
    assertTrue(LakeLocation.nested("s3://b/lake/meta", "s3://b/lake"));
    assertTrue(LakeLocation.nested("s3://b/lake", "s3://b/lake"));
    assertFalse(LakeLocation.nested("s3://b/lake", "s3://b/lake_metadata"));
  }

  @Test
  void bucketRootsDotSegmentsAndGlobsAreRefusedWithOneLine() {
    assertEquals(
        "A lake on s3:// must be a folder inside the bucket, such as s3://bucket/lake, was"
            + " s3://bucket",
        assertThrows(IllegalArgumentException.class, () -> LakeLocation.remoteFolder("s3://bucket"))
            .getMessage());
    assertEquals(
        "A lake location must not contain empty, '.' or '..' segments: s3://b/a/../lake",
        assertThrows(
                IllegalArgumentException.class, () -> LakeLocation.remoteFolder("s3://b/a/../lake"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> LakeLocation.remoteFolder("s3://b//lake"));
    assertEquals(
        "A lake location must not contain glob characters (* ? [ ] { }): s3://b/lake*",
        assertThrows(
                IllegalArgumentException.class, () -> LakeLocation.remoteFolder("s3://b/lake*"))
            .getMessage());
  }
}
