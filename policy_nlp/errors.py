"""The catalogue of errors and warnings: every error the library raises, and every warning an output records,
has a code, a message and a fix (errors E…, warnings W…)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    message: str
    fix: str


CATALOGUE: dict[str, ErrorSpec] = {
    spec.code: spec
    for spec in (
        # Pipeline components and models
        ErrorSpec("E001", "The component '{name}' has no trained model yet.",
                  "Load a trained pipeline with policy_nlp.load() or policy_nlp.load(PATH), or call "
                  "nlp.initialize(get_examples) with labelled examples, or train one with `policy-nlp train`."),
        ErrorSpec("E002", "The component '{name}' needs doc.spans['units'], which no earlier component set.",
                  "Add 'policy_nlp_report_structure' to the pipeline before '{name}' "
                  "(policy_nlp.load() does this)."),
        ErrorSpec("E003", "The model file {path} does not match its recorded SHA-256 "
                          "(expected {expected}, found {found}).",
                  "The model directory was modified or corrupted: retrain it with `policy-nlp train` or "
                  "restore it from a clean copy."),
        ErrorSpec("E004", "The model in {path} was saved with scikit-learn {saved}, but {installed} is installed.",
                  "Install the matching version (pip install 'scikit-learn=={saved}') or retrain the model with "
                  "`policy-nlp train` under the installed version."),
        ErrorSpec("E005", "No pipeline found at '{path}'.",
                  "Pass the directory written by `policy-nlp train` (it holds config.cfg and meta.json), or "
                  "call policy_nlp.load() without a path for the shipped model."),
        ErrorSpec("E006", "Unknown segmenter '{segmenter}'.", "Use segmenter='pkuseg' or segmenter='char'."),
        ErrorSpec("E007", "The component '{name}' has no data in {path}.",
                  "Save the pipeline with nlp.to_disk() after training, or retrain with `policy-nlp train`."),
        ErrorSpec("E008", "The report rules from {source} cannot be used: {detail}.",
                  "Give a rules JSON object with the keys of policy_nlp/rules/report_rules_v1.json and valid "
                  "regular expressions, or retrain the pipeline (policy-nlp train) so it saves its own rules."),
        ErrorSpec("E009", "The model file {path} names '{name}', which is not one of the classes a theme model is "
                          "made of; it was refused before anything ran.",
                  "Do not load model files from untrusted sources; retrain with `policy-nlp train` or restore "
                  "the model directory from a trusted copy."),
        ErrorSpec("E014", "The model file {path} is damaged or not a theme model: {detail}.",
                  "Retrain with `policy-nlp train` or restore the model directory from a clean copy."),
        ErrorSpec("E015", "The component settings {path} cannot be used: {detail}.",
                  "The model directory was edited or written by another version: retrain with `policy-nlp "
                  "train` or restore the directory from a clean copy (cfg.json must match model.pkl)."),
        ErrorSpec("E016", "The component '{name}' got no labelled, non-boilerplate units to learn from.",
                  "Pass Examples whose reference docs have unit spans and themes spans, or train with "
                  "`policy-nlp train --data UNITS.jsonl`."),
        # pkuseg weights
        ErrorSpec("E010", "The pkuseg '{model}' segmentation model is not in the cache ({cache}) and could not "
                          "be downloaded: {reason}",
                  "Run `policy-nlp download` while online; offline, fetch the wheel on a machine that is online "
                  "with `pip download pkuseg==0.0.25 --no-deps --only-binary=:all: --platform manylinux1_x86_64 "
                  "--python-version 37 --implementation cp --abi cp37m -d DIR`, copy it over and run "
                  "`policy-nlp download --wheel DIR/pkuseg-0.0.25-cp37-cp37m-manylinux1_x86_64.whl`; or set "
                  "POLICY_NLP_CACHE to a directory that holds the model; or use the character segmenter, which "
                  "needs no weights and gives the same labels: `--segmenter char` on the command line, "
                  "policy_nlp.load(segmenter='char') in Python."),
        ErrorSpec("E011", "The pkuseg wheel {path} has SHA-256 {found}, expected {expected}.",
                  "Delete the file and run `policy-nlp download` again; pass only the original "
                  "pkuseg-0.0.25 manylinux1_x86_64 wheel from PyPI to --wheel."),
        ErrorSpec("E012", "The pkuseg model path '{path}' has no features.msgpack and weights.npz (a features.pkl "
                          "is never read: unpickling it could run code).",
                  "Point pkuseg_model at a directory holding a pkuseg model with features.msgpack (convert a "
                  "trusted features.pkl once with srsly.write_msgpack), or use 'default'."),
        ErrorSpec("E013", "The pkuseg model '{model}' is neither a directory nor a spacy-pkuseg model installed in "
                          "{home}; policy_nlp never fetches models from a model hub at run time.",
                  "Pass the directory of a pkuseg model (features.msgpack, weights.npz), unpack "
                  "a spacy-pkuseg model into {home}/{model} (PKUSEG_HOME moves that folder), or use "
                  "pkuseg_model='default'."),
        # Input
        ErrorSpec("E017", "annotate() got batch_size={batch_size} and batch_chars={batch_chars}: a batch holds at "
                          "least one text, so both must be positive whole numbers.",
                  "Pass batch_size=1 or more and batch_chars=1 or more, or batch_chars=None for batches limited "
                  "by batch_size alone; or leave both out for the defaults."),
        ErrorSpec("E020", "annotate() takes a str (or an iterable of str), not {type}.",
                  "Pass the report text as a str; decode bytes first, e.g. data.decode('utf-8') or "
                  "policy_nlp.read_text(path) which detects GB18030/GBK."),
        ErrorSpec("E021", "Cannot decode {path} as UTF-8, UTF-16, UTF-32, GB18030 or Big5: as {encoding}, byte {offset} of "
                          "{size}: {reason} (bytes around it: {context}).",
                  "A UTF-8 file damaged at that byte (a truncated download, two files joined): mend or cut it there; "
                  "a file in another encoding: convert it to UTF-8 (iconv -f <encoding> -t UTF-8 FILE); or check "
                  "that it is a text file."),
        ErrorSpec("E022", "The document has {size} characters, more than the batch run's limit of {limit} "
                          "(--max-chars); it was not annotated.",
                  "Split the document into parts, or run again with a larger --max-chars (max_chars= in Python) "
                  "if the memory is there."),
        # Input formats: HTML, Word, PDF; binary files (corpus/formats.py)
        ErrorSpec("E023", "{path} is a PDF without a text layer ({pages} page(s), no text on any): a scanned "
                          "document, whose text is an image.",
                  "Run OCR on it first (e.g. ocrmypdf --language chi_sim IN.pdf OUT.pdf) and annotate the result, "
                  "or annotate a text or Word version of the report."),
        ErrorSpec("E024", "{path} is {kind}, not a format policy_nlp reads (supported: {supported}).",
                  "Convert it to one of the supported formats (a legacy .doc to .docx, e.g. with LibreOffice: "
                  "soffice --headless --convert-to docx FILE.doc), or leave it out."),
        ErrorSpec("E025", "{path}: the {format} file cannot be read ({detail}).",
                  "Check that the file is complete (not cut off while downloading) and opens in a viewer; save "
                  "it again from the original, or convert it to text."),
        ErrorSpec("E026", "Unknown input format '{format}' (known: {known}).",
                  "Pass format='text', 'html', 'docx' or 'pdf' (or leave it out for text)."),
        ErrorSpec("E027", "format='{format}' needs the file's bytes (or a path), not {type}.",
                  "Pass the bytes read from the file (open(path, 'rb').read()) or the path itself: "
                  "policy_nlp.annotate(Path('report.{format}'), format='{format}')."),
        ErrorSpec("E028", "{path}: the {format} file holds no text.",
                  "Check that this is the report (a Word or HTML file whose body is empty, or an HTML page "
                  "whose text is filled in by JavaScript, holds nothing to annotate): save the page after it "
                  "loaded, or use the text version."),
        ErrorSpec("E029", "{path} is an encrypted PDF that cannot be opened without a password.",
                  "Remove the protection with the password (e.g. qpdf --password=PW --decrypt IN.pdf OUT.pdf) "
                  "and annotate the result."),
        # Warnings: recorded in the output's `warnings` (corpus/checks.py), never raised
        ErrorSpec("W001", "No content units: every unit is boilerplate, or the text has none.",
                  "Check the input: a page of navigation only, or a report the structure rules took for page "
                  "chrome; read the text field and, if it holds the report, report the case."),
        ErrorSpec("W002", "Boilerplate covers {share:.0%} of the text.",
                  "Check that the report's body is not marked as page chrome; for a web page, annotate the "
                  "HTML file (.html, format='html') so that its main content is extracted."),
        ErrorSpec("W003", "A long report ({size} characters) in which no part was found: no unit is in a plans "
                          "part (next year's arrangements), which annual reports end with.",
                  "Check the part headings (下一步工作安排, 2024年工作安排 …) in the text: lost line breaks, a "
                  "heading run into its first sentence or an unusual wording hide them; the plans and shortcomings "
                  "labels are likely missed."),
        ErrorSpec("W004", "The text looks like markup ({count} HTML/XML tags).",
                  "Annotate the file as HTML (.html/.htm, or format='html') so that its text is extracted and "
                  "its navigation dropped."),
        ErrorSpec("W005", "The text looks like binary data or PDF syntax ({detail}).",
                  "Annotate the original file (.pdf, .docx) so that its text is extracted, not its bytes."),
        ErrorSpec("W006", "{count} of {pages} PDF page(s) have no text layer (first: page {first}); their text "
                          "is missing.",
                  "Run OCR on the PDF (e.g. ocrmypdf --skip-text IN.pdf OUT.pdf) and annotate the result."),
        ErrorSpec("W007", "The page's main content could not be told apart from its navigation; the whole "
                          "page's text was used.",
                  "Check the boilerplate units; save the report's own page (not a list or home page), or "
                  "annotate its text."),
        ErrorSpec("W008", "The text outside boilerplate holds {count} visible characters, too few for a report "
                          "(fewer than {minimum}): an error or access-check page, a deleted notice or navigation.",
                  "Check the text field: save the report's own page again (not a 404 page 页面不存在, an "
                  "\"该信息已删除\" notice or a crawler check), or leave the document out; its shares are no "
                  "report's."),
        ErrorSpec("W009", "The text is a single line that names a file ('{name}'): the name was annotated, not "
                          "the report.",
                  "Pass Path(...) or the file's text: policy_nlp.annotate(Path('{name}')), or "
                  "policy_nlp.annotate(Path('{name}').read_text(encoding='utf-8'))."),
        ErrorSpec("W010", "{read} of the {total} characters of text in the Word file's body were read; the rest "
                          "is in text boxes or parts of the file that are not read as body text.",
                  "Open the file in Word, move the text out of its text boxes (or save it as PDF) and annotate "
                  "the result; or check what is missing in the output's text."),
        # Labelled data
        ErrorSpec("E030", "{path}:{line}: not valid JSON ({detail}).",
                  "Fix the line so it holds one JSON object per line (JSONL), or remove it."),
        ErrorSpec("E031", "{path}:{line}: unknown label '{label}'{hint}.",
                  "Use one of the known labels {known}, or pass --allow-new-labels to add a new label."),
        ErrorSpec("E032", "{path}:{line}: offsets [{start}, {end}) of document '{doc}' do not match its text "
                          "({detail}).",
                  "Recompute start/end so that text == document[start:end], or correct the text."),
        ErrorSpec("E033", "{path}:{line}: unit [{start}, {end}) overlaps unit [{other_start}, {other_end}) "
                          "of document '{doc}'.",
                  "Remove or merge one of the two overlapping units."),
        ErrorSpec("E034", "{path}:{line}: document '{doc}' is in none of the document folders ({seeds}).",
                  "Put the report file into one of those folders, name its folder with --seeds DIR, or fix the "
                  "'doc' field."),
        ErrorSpec("E035", "{path}:{line}: duplicate unit [{start}, {end}) of document '{doc}' (first at line "
                          "{first_line}).",
                  "Delete the duplicate line."),
        ErrorSpec("E036", "{path}: the file holds no units.",
                  "Pass a JSONL file with one unit per line or a reviewer JSON document with units."),
        ErrorSpec("E037", "{path}:{line}: {detail}.",
                  "Each unit needs doc (str), start/end (int), text (non-empty str), kind "
                  "(heading/sentence/boilerplate) and labels (list of str)."),
        ErrorSpec("E038", "{labels}: fewer than {minimum} positive units, the least needed to learn a label.",
                  "Label more units with {names}, drop those labels, or pass --allow-rare-labels to train them "
                  "anyway (their scores will be unreliable)."),
        ErrorSpec("E039", "{path}: no such file.", "Check the path; pass JSONL unit files or reviewer JSON files."),
        ErrorSpec("E040", "{path}: not a reviewer JSON document ({detail}).",
                  "Pass a file written by `policy-nlp annotate` (schema policy_nlp.document/v1) or a unit "
                  "JSONL file."),
        ErrorSpec("E041", "Leave-one-document-out needs at least {minimum} documents, got {count}.",
                  "Add labelled documents or evaluate a trained model on held-out data with --model."),
        ErrorSpec("E042", "Reviewer document {path} has schema '{found}', expected '{expected}'.",
                  "Export the document again with this version of policy_nlp."),
        ErrorSpec("E043", "{where}: not a usable reviewer document ({detail}).",
                  "Pass reviewer JSON written by `policy-nlp annotate`; keep each unit's start/end so that "
                  "text[start:end] equals the unit's text, units in document order."),
        # Training and evaluation
        ErrorSpec("E070", "{path}:{line}: not UTF-8 text ({detail}).",
                  "Save the file as UTF-8 (e.g. iconv -f GB18030 -t UTF-8 FILE); unit JSONL files and "
                  "reviewer JSON files are read as UTF-8."),
        ErrorSpec("E071", "No labelled units in {paths}.",
                  "Reviewer JSON files contribute only units marked \"reviewed\": true: mark the units you "
                  "checked, or pass unit JSONL files."),
        ErrorSpec("E072", "Refusing to replace {path}: it exists and is not a pipeline directory "
                          "(no config.cfg and meta.json).",
                  "Pass a new directory, an empty one, or one written by `policy-nlp train` to --out."),
        ErrorSpec("E073", "--cv '{mode}' is not supported.",
                  "Use --cv lodo (leave-one-document-out), --cv kfold (grouped 5-fold) or --cv auto, or --model "
                  "DIR to score a trained pipeline."),
        # Batch
        ErrorSpec("E050", "No input documents found in {paths}.",
                  "Pass report files (plain text, HTML, Word .docx or PDF, recognised by their bytes whatever "
                  "their name), directories holding them, or .jsonl/.csv/.parquet tables with a text column; "
                  "legacy .doc (OLE2), RTF, images and archives are not read: save them as .docx or PDF."),
        ErrorSpec("E051", "{path}: no column '{column}' (columns: {columns}).",
                  "Name the text column with --text-column and the id column with --id-column."),
        ErrorSpec("E052", "Every one of the {count} documents failed.",
                  "Each document's cause is in the 'error' field of its output record (with -o FILE.jsonl or "
                  ".parquet) or was printed above with its own fix (stdout or -o DIR)."),
        ErrorSpec("E053", "Output format of '{path}' is not known.",
                  "Write to a .jsonl or .parquet file, or to a directory for one JSON file per input."),
        ErrorSpec("E054", "{path}: rows from row {row} on could not be read ({detail}).",
                  "Fix the table (one JSON object per line for JSONL; a consistent header for CSV), remove the "
                  "error records of {path} from the output, and run the same command again to finish it."),
        ErrorSpec("E055", "Annotating document '{id}' failed: {detail}",
                  "Check the document's text; remove its error record from the output and rerun to retry it."),
        ErrorSpec("E056", "Document '{id}' is empty: nothing to annotate.",
                  "Remove the empty document from the input, or ignore its error record."),
        ErrorSpec("E057", "{path}: cannot read the file ({detail}).",
                  "Check that the file exists and is readable, then run the same command again."),
        ErrorSpec("E058", "{path}:{line}: a damaged record in the middle of the output ({detail}).",
                  "Only a truncated last line is repaired automatically: delete the damaged line (its document "
                  "is then annotated again by the same command) or write to a new output."),
        ErrorSpec("E060", "A worker process died while annotating document '{id}' (alone, after a retry).",
                  "Rerun the same command: finished documents are kept and this one is tried again after you "
                  "delete its error record; if it fails again, annotate it alone (policy-nlp annotate FILE) "
                  "to see why, or lower --n-process if memory ran out."),
        ErrorSpec("E059", "Column '{column}' of row '{id}' holds {type}, not text.",
                  "Fill the text column with strings, or name the right column with --text-column."),
        # Trust: provenance of outputs, safe files and processes, resource limits
        ErrorSpec("E100", "{path} holds {count} record(s) made by another model or package version (first: "
                          "'{id}', made by {found}); this run uses {expected}.",
                  "Rerun with --refresh (refresh=True in Python) to annotate those documents again with this "
                  "model, pass the --model that wrote the output, or write to a new output file."),
        ErrorSpec("E101", "{path}: the input of {count} finished record(s) changed since they were annotated "
                          "(first: '{id}').",
                  "Rerun with --refresh (refresh=True in Python) to annotate the changed documents again, or "
                  "write to a new output file."),
        ErrorSpec("E102", "The text has {size} characters, more than max_chars={limit} of policy_nlp.annotate.",
                  "Split the text into parts, or pass a larger max_chars (None: no limit) if the memory is there: "
                  "about {mb} MB per million characters with the {segmenter} segmenter."),
        ErrorSpec("E103", "Cannot write {path}: {detail}.",
                  "Free space on that disk (or choose another place), check the permissions, and run the same "
                  "command again: what was finished is kept."),
        ErrorSpec("E104", "The pipeline directory {path} has no meta.json (it holds config.cfg).",
                  "The directory is incomplete: restore it from a clean copy or retrain it with "
                  "`policy-nlp train --out {path}`."),
        ErrorSpec("E105", "Another training run (process {pid}) is writing {path}.",
                  "Wait for it to finish, or write to another --out directory."),
        ErrorSpec("E106", "{path} is {kind}, not a regular file; it was not read.",
                  "Pass regular text files (a named pipe would block, a device never ends): copy the data into "
                  "a file first."),
        ErrorSpec("E107", "{path} is a symbolic link that {detail}; it was not read.",
                  "Repair or remove the link, or pass the file it should point to."),
        ErrorSpec("E108", "{path} looks like {encoding} text, not a Chinese report in UTF-8, UTF-16, UTF-32, "
                          "GB18030 or Big5.",
                  "If it is a Chinese report, convert it to UTF-8 (iconv -f {encoding} -t UTF-8 FILE); "
                  "otherwise leave it out."),
        ErrorSpec("E109", "{path}:{line}: not valid JSON ({detail}); a .json file holds one reviewer document.",
                  "A .json file must hold one reviewer JSON document as written by `policy-nlp annotate`; "
                  "fix the JSON (or export it again), or give unit JSONL in a .jsonl file."),
        ErrorSpec("E110", "{option} cannot be used {context}.",
                  "{fix}"),
        ErrorSpec("E111", "{path}: row {row} is not a JSON object ({detail}).",
                  "Fix or remove that line (one JSON object per line), delete its error record from the output, "
                  "and run the same command again."),
        ErrorSpec("E112", "{what} needs the package '{package}', which is not installed in this environment.",
                  "Reinstall policy_nlp with its dependencies (pip install policy_nlp, which brings Hugging Face "
                  "datasets and pyarrow), or pip install {package}; plain .txt files need neither."),
        ErrorSpec("E145", "Unknown calibration '{value}' of the theme estimator.",
                  "Set the hyperparameter 'calibration' to one of: {methods}, or null for uncalibrated scores."),
        # Hostile inputs: model directories, markup, imports (E113–E129, E140–E149)
        ErrorSpec("E113", "The saved pipeline {model_dir} names the pkuseg model or user dictionary '{path}', which "
                          "lies outside the pipeline directory and the policy_nlp cache (or is no regular file).",
                  "A pipeline's settings may only name 'default', a spacy-pkuseg model name or a directory inside "
                  "the pipeline, and a user dictionary file inside it; if you trust that directory, pass it "
                  "yourself: policy_nlp.load(DIR, pkuseg_model=PATH)."),
        ErrorSpec("E114", "{path}: {where}: the reviewed span [{start}, {end}) overlaps the reviewed unit "
                          "[{other_start}, {other_end}) of the same report; importing it would drop that review.",
                  "Keep one reviewed span per stretch of text: correct the task's start/end in the export (or "
                  "remove one of the two tasks) and import again."),
        ErrorSpec("E115", "The pipeline directory {path} does not hold the files its checksums.json records: {detail}.",
                  "The directory was modified after `policy-nlp train` wrote it: restore it from a trusted copy "
                  "or retrain it."),
        ErrorSpec("E116", "The pipeline config of {path} was refused: {detail}.",
                  "A saved pipeline's config.cfg may only name the registered functions and components a "
                  "policy_nlp pipeline uses (docs/trust.md lists them), no `source`, no positional `*` section, "
                  "and paths of files inside the pipeline directory; retrain it with `policy-nlp train` or "
                  "restore it from a trusted copy."),
        ErrorSpec("E061", "The pipeline directory {path} holds '{name}', which was refused: {detail}.",
                  "A pipeline directory holds only regular files and folders (symbolic links only to its own "
                  "files): replace the entry by the file itself, or restore the directory from a trusted copy."),
        ErrorSpec("E062", "The OpenCC configuration '{name}' is not one of {known}.",
                  "Set the tokenizer's opencc_config to t2s (Traditional), tw2s (Taiwan forms) or hk2s (Hong Kong "
                  "forms); a saved pipeline's tokenizer/cfg.json may name only these: retrain it with `policy-nlp "
                  "train` or restore it from a trusted copy."),
        ErrorSpec("E117", "The text holds a lone surrogate ({char}) at character {position}: half of a UTF-16 "
                          "pair, which is no character and cannot be written as UTF-8.",
                  "Decode the source correctly (a file read with errors='surrogateescape' or a broken UTF-16 "
                  "conversion leaves these), or remove the character: text.encode('utf-8', 'replace')"
                  ".decode('utf-8')."),
        ErrorSpec("E118", "{path}: the JSON is nested deeper than it can be read.",
                  "Pass a file written by policy_nlp or a labelling tool; no document it writes nests more than a "
                  "few levels."),
        ErrorSpec("E119", "Another batch run (process {pid}) is writing {path}.",
                  "Wait for it to finish (rerun the same command afterwards: what it finished is skipped), or "
                  "write to another -o."),
        ErrorSpec("E120", "{id} would be written to {name}, which {other} was written to in this run.",
                  "Output names come from each input's path relative to its folder: rename one of the two "
                  "inputs, or annotate them into different -o directories."),
        ErrorSpec("E121", "The folder {path} could not be listed ({detail}); the reports in it were not read.",
                  "Check the folder's permissions (or whether it was removed during the run) and run the same "
                  "command again."),
        ErrorSpec("E122", "The import marks every one of the {units} content units of '{doc}' reviewed at once: that "
                          "is an edited unit file or a whole-report export, not a review.",
                  "Import only the units a reviewer decided (Label Studio/doccano exports keep only annotated "
                  "tasks), train on the unit file directly with `policy-nlp train --data FILE`, or pass "
                  "--whole-reports if a reviewer did decide every unit."),
        # Reviewing: directory output, --update, export and import (Label Studio, doccano)
        ErrorSpec("E130", "{path} holds {count} reviewed unit(s); writing the new annotation over it would lose "
                          "the reviewer's labels.",
                  "Refresh the file with `policy-nlp annotate --update {path}` (keeps the reviewed units' labels, "
                  "refreshes the rest), write to another -o directory, or pass --overwrite-reviewed to discard "
                  "the reviews."),
        ErrorSpec("E131", "{path} exists and differs from the annotation that would be written.",
                  "Pass --overwrite to replace it, write to another -o directory, or refresh it with "
                  "`policy-nlp annotate --update {path}`."),
        ErrorSpec("E132", "{path}: not a Label Studio export ({detail}).",
                  "Export the project from Label Studio with Export → JSON (or JSON-MIN) and pass that file; its "
                  "tasks must be the ones written by `policy-nlp export --format label-studio`."),
        ErrorSpec("E133", "{path}: {where}: {detail}.",
                  "Import tasks written by `policy-nlp export` (they carry doc, doc_sha256, start, end and kind in "
                  "their data) and keep those fields unchanged in the labelling tool."),
        ErrorSpec("E134", "{path}:{line}: not a doccano text-classification record ({detail}).",
                  "Export the doccano project (text classification) as JSONL and pass that file; its records must "
                  "come from `policy-nlp export --format doccano` (they carry doc, start, end and kind)."),
        ErrorSpec("E135", "{path}: {where}: the report '{doc}' (SHA-256 {sha}) is not among the documents given or "
                          "found ({searched}).",
                  "Pass the reviewer JSON written by `policy-nlp annotate` for that report (--documents for import, "
                  "another --data for train), or the folder holding the report file with --seeds DIR."),
        ErrorSpec("E136", "Export format '{format}' is not known.",
                  "Use --format label-studio or --format doccano."),
        ErrorSpec("E137", "No annotated documents in {paths}.",
                  "Pass reviewer JSON files written by `policy-nlp annotate`, directories of them, a JSONL output "
                  "of `policy-nlp annotate -o FILE.jsonl`, or report .txt files to annotate."),
        ErrorSpec("E138", "{path}: no reviewed units: {detail}.",
                  "Submit annotations in the labelling tool (Label Studio: Submit; doccano: mark the examples "
                  "done and export only approved documents) before exporting, then import that file."),
        ErrorSpec("E139", "Refusing to write {path}: {detail}.",
                  "Write to another -o directory, or pass --overwrite to replace it."),
        # Indicators
        ErrorSpec("E090", "The indicator vocabulary from {source} cannot be used: {detail}.",
                  "Give a JSON object {{\"name\", \"version\", \"indicators\": [...]}} whose entries each have a "
                  "unique name and a non-empty list of phrases, like policy_nlp/rules/indicators_v1.json."),
        ErrorSpec("E091", "The component '{name}' has no indicator vocabulary in {path}.",
                  "Save the pipeline with nlp.to_disk() so the component writes its vocabulary.json, or "
                  "copy policy_nlp/rules/indicators_v1.json there."),
        ErrorSpec("E180", "The indicator rules in {source} cannot be used: {detail}.",
                  "Give 'rules' as in policy_nlp/rules/indicators_v2.json: an object with each of plans_heading, "
                  "target_cue, result_cue, target_after, threshold_verb, settle_gap, per_capita, derived_before, "
                  "derived_after and own_measure as a regular expression, and count_units as a list of strings; "
                  "or leave 'rules' out (a version-1 vocabulary)."),
        # Annotating on a Ray cluster
        ErrorSpec("E190", "Annotating on Ray (--engine ray, annotate_corpus_ray) needs Ray Data, which is not "
                          "installed in this environment.",
                  "pip install \"policy_nlp[ray]\" (it brings ray[data]), or annotate on this machine with "
                  "--n-process N instead."),
        ErrorSpec("E191", "Cannot start or join the Ray cluster at {address}: {detail}.",
                  "Check the address (--ray-address auto on a cluster node, HOST:6379, or ray://HOST:10001 for "
                  "a Ray client) and that the cluster runs the same Ray and Python versions; leave the address "
                  "out to start a local instance."),
        ErrorSpec("E192", "The Ray run stopped at document '{id}' or a document of its batch: {detail}.",
                  "The records before it are in the output: rerun the same command to go on from there. If it "
                  "stops at the same document again, check that every node can load the pipeline (--model on "
                  "every node, the pkuseg weights in each node's cache), or annotate the rest with --n-process, "
                  "where a document that kills its worker fails alone (E060)."),
        # Explanations, the review page and picking units to label
        ErrorSpec("E160", "Explanations need the theme component 'policy_nlp_themes', which this pipeline lacks "
                          "(components: {components}).",
                  "Load a trained pipeline with policy_nlp.load() or policy_nlp.load(DIR) (a directory written "
                  "by `policy-nlp train`)."),
        ErrorSpec("E161", "{path}: not a reviewer document to review ({detail}).",
                  "Pass reviewer JSON written by `policy-nlp annotate` (.json, or .jsonl with one document per "
                  "line), or the report .txt files themselves to annotate them now."),
        ErrorSpec("E162", "No document to review in {paths}.",
                  "Pass reviewer JSON files, an annotated corpus (.jsonl) or report .txt files; documents that "
                  "failed to annotate are skipped."),
        ErrorSpec("E163", "Asked for {n} units to label; at least 1 is needed.", "Pass -n with a positive number."),
        ErrorSpec("E164", "The pipeline {model} has no theme component to rank units with.",
                  "Pass --model a directory written by `policy-nlp train` (or leave it out for the shipped model)."),
        ErrorSpec("E165", "No unlabelled content units in {paths}.",
                  "Pass report .txt files or directories of reports that are not labelled yet (already labelled "
                  "reports are skipped; --include-labelled keeps them)."),
        # Comparing reports: metadata, tables, the comparison page
        ErrorSpec("E170", "Cannot read the metadata table {path}: {detail}.",
                  "Give a CSV file (UTF-8, with or without BOM) with a header row holding an 'id' column and any "
                  "of region, issuer, year, kind, title."),
        ErrorSpec("E171", "{path}:{line}: the {field} '{value}' is not valid; expected {expected}.",
                  "Correct that cell of the metadata table or leave it empty to keep the extracted value."),
        ErrorSpec("E172", "{what} needs the package '{package}', which is not installed in this environment.",
                  "Install the comparison extra: pip install 'policy_nlp[compare]'."),
        ErrorSpec("E173", "Cannot write the table to '{path}': {detail}.",
                  "Write to a .csv (UTF-8 with BOM, opens in Excel), .xlsx or .parquet file."),
        ErrorSpec("E175", "{path}: not annotated reports ({detail}).",
                  "Annotate the reports first (policy-nlp annotate REPORTS -o corpus.jsonl), then pass the reviewer "
                  "JSON files, folders of them, or the annotated .jsonl/.parquet corpus."),
        ErrorSpec("E174", "No annotated report to compare in {paths}.",
                  "Pass reviewer JSON files or directories of them, or annotated corpora (.jsonl/.parquet) "
                  "written by `policy-nlp annotate`; error records are skipped."),
    )
}


class PolicyNLPError(Exception):
    """Base class: carries a catalogue code, the filled-in message and the fix."""

    def __init__(self, code: str, **fields):
        spec = CATALOGUE[code]
        self.code = code
        self.fields = fields
        self.message = spec.message.format(**fields)
        self.fix = spec.fix.format(**fields)
        super().__init__(f"[{code}] {self.message} Fix: {self.fix}")


class ModelError(PolicyNLPError, RuntimeError):
    """A component or model is missing, corrupted or incompatible."""


class SegmenterModelError(PolicyNLPError, RuntimeError):
    """The pkuseg weights are missing or could not be obtained."""


class InputTypeError(PolicyNLPError, TypeError):
    """annotate() was given something that is not text."""


class DataError(PolicyNLPError, ValueError):
    """Labelled data or input documents are malformed."""


def fix_for(error: str) -> str | None:
    """The fix of an error recorded as `[CODE] message` in an output record (None if it names no code).
    Placeholders the message's fields would fill are shown as <name>."""
    import re

    match = re.match(r"\[(E\d{3})\]", error or "")
    if not match or match.group(1) not in CATALOGUE:
        return None
    fix = CATALOGUE[match.group(1)].fix
    try:
        return fix.format_map(_Keep())
    except (ValueError, IndexError):
        return fix


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def warning(code: str, **fields) -> dict:
    """A warning as the output records it: {"code", "message", "fix"}, from the catalogue (W001–W019)."""
    spec = CATALOGUE[code]
    return {"code": code, "message": spec.message.format(**fields), "fix": spec.fix.format(**fields)}


def error_text(code: str, **fields) -> str:
    """An error as recorded in an output record: `[CODE] message`."""
    return f"[{code}] {CATALOGUE[code].message.format(**fields)}"
