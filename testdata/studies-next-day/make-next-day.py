#!/usr/bin/env python3
"""Writes studies-next-day/ from studies/: the sample studies as they are on the "next day".

CARDIO01 changes (ONCO-22 and every other file are copied unchanged):
  record 880001 (DM)  HEIGHT 172 -> 173, dateModified 2026-01-12 14:30:00, no revision
  record 880002 (VS)  SYSBP 128 -> 131, VSCOMM '' -> 'Repeated after rest',
                      dateModified 2026-01-10 09:00:00, revision 1500191 (mlopez, Transcription error)
  record 880003 (LB)  deleted, dateModified 2026-01-15 08:00:00, revision 1500192 (Duplicate)
  record 880300 (VS)  new: a copy of 880002's new version with SYSBP 118, created 2026-01-20 10:00:00
Run from testdata/: python3 studies-next-day/make-next-day.py
"""
import copy
import json
import pathlib
import shutil

SRC = pathlib.Path("studies")
DST = pathlib.Path("studies-next-day")


def dump(path, items):
    path.write_text(json.dumps(items, indent=1) + "\n")


for study in sorted(p for p in SRC.iterdir() if (p / "study.json").is_file()):
    out = DST / study.name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(study, out)

records = json.loads((SRC / "CARDIO01" / "records.json").read_text())
by_id = {r["recordId"]: r for r in records}


def modify(record_id, when, **values):
    r = by_id[record_id]
    r["dateModified"] = when
    r["recordData"]["dateModified"] = when
    r["recordData"].update(values)
    return r


modify(880001, "2026-01-12 14:30:00", HEIGHT="173")
r2 = modify(880002, "2026-01-10 09:00:00", SYSBP="131", VSCOMM="Repeated after rest")
r3 = by_id[880003]
r3["deleted"] = True
r3["dateModified"] = "2026-01-15 08:00:00"
added = copy.deepcopy(r2)
added.update(recordId=880300, recordOid="REC-880300", dateCreated="2026-01-20 10:00:00",
             dateModified="2026-01-20 10:00:00")
added["recordData"].update(dateCreated="2026-01-20 10:00:00", dateModified="2026-01-20 10:00:00",
                           SYSBP="118")
records.append(added)
dump(DST / "CARDIO01" / "records.json", records)

revisions = json.loads((SRC / "CARDIO01" / "recordRevisions.json").read_text())


def revision(rid, record_id, record_revision, data_revision, created, deleted, reason):
    return {"studyKey": "CARDIO01", "recordRevisionId": rid, "recordId": record_id,
            "recordOid": "REC-%d" % record_id, "recordRevision": record_revision,
            "dataRevision": data_revision, "recordStatus": "Record Complete", "subjectId": 5521,
            "subjectOid": "OID-5521", "subjectKey": "12-001", "siteId": 12, "formKey": "VS",
            "intervalId": 41, "role": "Research Coordinator", "user": "mlopez",
            "reasonForChange": reason, "deleted": deleted, "dateCreated": created}


revisions.append(revision(1500191, 880002, 3, 2, "2026-01-10 09:00:00", False, "Transcription error"))
revisions.append(revision(1500192, 880003, 3, 1, "2026-01-15 08:00:00", True, "Duplicate"))
dump(DST / "CARDIO01" / "recordRevisions.json", revisions)
