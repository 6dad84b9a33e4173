"""English: the messages a learner reads (the corrections and slip names are the records')."""

MESSAGES = {
    # handgrad from Python (handgrad.check, handgrad.gradcheck)
    "api_passed": "passed: every row of your pieces equals torch's",
    "api_failed": "not yet: the rows marked FAIL or TODO, and the diagnoses under the table",
    "api_source_and_pieces": "check() takes a file or module, or pieces by keyword, not both",
    "gc_title": "gradient check: your backward against a centred difference (h = {h}), in "
                "float64; the relative error max |a - n| / max(1e-8, |a| + |n|) of each input",
    "gc_input": "input {k}",
    "gc_line": "  {input}: {error}",
    "gc_input_col": "input",
    "gc_no_input": "gradcheck needs a floating-point tensor among the inputs: the gradient is "
                   "taken with respect to those",
    "gc_complex": "gradcheck takes real tensors: a complex input has no centred difference "
                  "along one real direction here",
    "gc_wrong": "above 1e-2: the gradient is probably wrong (CS231n's reading)",
    "gc_uneasy": "between 1e-4 and 1e-2: be uneasy, and look again (CS231n's reading)",
    "gc_kinks": "between 1e-7 and 1e-4: fine where the function has kinks (ReLU, max) near "
                "the inputs, too high for a smooth one (sigmoid, tanh, softmax) (CS231n's "
                "reading)",
    "gc_right": "1e-7 or less: the gradient is right (CS231n's reading)",
    # what a check found, in a row's last column and the diagnoses
    "m_one_none": "one side is None",
    "m_shape": "shape {yours} where torch's is {theirs}",
    "m_sample_refused": "sample {k} refused: {error}",
    "m_refused_unasked": "refused {argument!r}, which the sample does not pass",
    "m_refused_unasked_why": "refused {argument!r}, which the sample does not pass ({error})",
    "m_outputs": "{yours} outputs, torch gives {theirs}",
    "m_gradcheck": "gradcheck failed: the backward is not the derivative of the forward (a "
                   "finite difference disagrees)",
    "m_dtype": "dtype {yours} where torch returns {theirs}",
    "m_memory_format": "memory format (contiguous, channels_last) {yours} where torch's is "
                       "{theirs}",
    "m_computes_where_refused": "computes where torch refuses ({error})",
    "m_tally": "{total} samples: {equal} equal, {refused} refused, {wrong} wrong{theirs}{closer}"
               "{skipped}",
    "m_tally_closer": " ({n} outputs beyond the tolerance of torch's, and within it of the "
                      "exact result or closer to it than torch's)",
    "m_tally_skipped": "; {n} skipped: {why}",
    "m_tally_torch_wrong": ", {n} where torch is wrong: {why}",
    "m_no_sample": "no sample of {name!r} in {dtype} on {device}",
    "m_distance": "largest distance from float64: yours {yours:.2e}, torch's {theirs:.2e}",
    "m_distance_times": "{times:.2f} times torch's distance from the float64 result (at most "
                        "{factor} allowed)",
    "m_state_keys": "state keys {yours} where torch's are {theirs}",
    "m_state_kind": "{yours} where torch keeps {theirs}",
    "m_no_difference": "the two forms agree to {rel:.1e}: no difference shown",
    "m_torch_transform_fails": "torch's own {label} fails ({error})",
    "m_results": "{yours} results where torch's transform gives {theirs}",
    "m_optim_db": "{n} configurations of torch's optim_db, real and complex, {steps} steps, "
                  "state_dicts exchanged at step {swap}",
    "m_no_optim_db": "torch's optim_db has no configuration of {name}",
    "m_holds": "holds at {n} of {total} points",
    "m_fails_at": "fails at {n} of {total} points",
    "m_refused_alike": "{label} refused as torch refuses it: {error}",
    "m_refused_unlike": "{yours} where torch {theirs}",
    "m_computes": "computes",
    "m_from_step": "{why}, from step {step} on",
    "m_steps_skipped": "{n} steps skipped: {why}",
    "m_fit_steps": "{what}: {steps} steps ({rule}); torch's SGD: {ref} steps",
    "m_not_converged": "did not converge: {reason}",
    "m_steps_differ": "{steps} steps where torch's SGD takes {ref}",
    "m_cannot_compile": "not run: torch {version} cannot compile the manual Functions whole; "
                        "the torch.compile rows run from torch {since}",
    "m_torch_lacks": "torch {version} has no {dtype} {what} for {name} (its own OpInfo)",
    "w_gradient": "gradient",
    "w_kernel": "kernel",
    "label_manual_from_torch": "{label}, manual from torch's state_dict,",
    "label_torch_from_manual": "{label}, torch from the manual state_dict,",
    "label_loss_at": "loss at",
    "label_second_backward": "second backward",
    "label_second_derivative": "second derivative,",
    "label_round_trip": "after a state_dict round trip",
    "label_lr_at": "lr at",
    "label_initial": "initial {name}",
    "label_param_groups": "param groups,",
    "label_backward": "backward",
    "joined": "; ",
    "label_ranks": "{world} processes",
    "label_rank": "{world} processes, rank {rank}, {what}:",
    "w_length": "a vector of {n}",
    "w_adam": "Adam",
    "m_shard": "the parameters whose state this rank keeps, {yours}, are not "
               "ZeroRedundancyOptimizer's shard, {theirs}",
    "label_vmap_first": "vmap, the first input batched",
    "label_batched_grads": "batched gradients",
    "label_recompiled": "recompiled for new shapes",
    "label_complex": "{desc} (complex)",
    "label_sparse": "sparse, {kwargs},",
    "label_defaults": "defaults",
    "label_the_defaults": "the defaults",
    "label_lr": "lr {lr}",
    "label_vs_closed": "{what}: descent vs closed form",
    "label_vs_torch": "{what}: descent vs torch's descent",
    # the diagnosis under a failing row
    "todo": "not implemented yet: {what}",
    # what a starter raises where the learner is to write
    "todo_body": "derive {name}",
    "todo_update": "derive the update of {name}",
    "todo_lr_at": "derive lr_at",
    "todo_backward": "derive the backward",
    "todo_at": " (met in {site})",
    "case_heading": "{case} ({dtype}, {device}):",
    # where a failure is
    "site_sample": "sample {value}",
    "site_step": "step {value}",
    "site_param": "param {value}",
    "site_state": "state {value}",
    "site_grad": "grad of input {value}",
    "site_output": "output {value}",
    "site_what": "{site}: {what}",
    "failed": "failed: {text}",
    "parting": "the trajectories part at step {step}: {where}",
    "first_difference": "first difference: {site}, element {index}{at}: torch {torch}, "
                        "yours {yours}",
    "input_there": " (input there: {value})",
    "slip": "your {part} matches a known slip: {label}{source}",
    "slip_source": " (the notes, {section})",
    "erratum": "the notes write: {quote}; correct: {correction}",
    "part_backward": "backward",
    "part_forward": "forward",
    "part_update": "update",
    "part_state": "update (its state)",
    "part_piece": "piece",
    # a learner's file that cannot be checked (one line, exit status 2)
    "with_folder": "{spec}: is a folder; name the .py file of your pieces",
    "with_missing": "{spec}: no such file",
    "with_import": "{spec}: cannot import {name!r} ({error})",
    "with_exit": "{spec}: it calls {call}({code}) while it loads{line}; a file to "
                 "check only defines its pieces",
    "with_raised": "{spec}: importing it failed{line}: {error}",
    "with_syntax": "{spec}: syntax error at {place}: {error}{hint}",
    "with_not_source": "{spec}: not Python source: {error}{hint}",
    "with_is_python": " (is it a Python file?)",
    "with_timeout": "stopped after {seconds} s (--timeout): your file's check did not end; "
                    "look for a loop that never ends",
    "with_ended": "your file's process ended with {how} before its check did: the rows "
                  "above are all it finished",
    "at_line": " at {place}",
    "place_line": "line {line}",
    "place_cell": "cell {cell}, line {line}",
    "notebook_not_json": "{spec}: not a notebook (its JSON does not read: {error})",
    "notebook_no_cells": "{spec}: not a notebook (no list of cells in it)",
    "no_match": "--with {spec}: no name in it is a piece handgrad checks; its names: {names}; "
                "the pieces: {pieces}; name one with --as NAME=PIECE{example}",
    "no_match_example": ", e.g. --as {name}={piece}",
    "no_names": "none",
    "not_callable": "{name} is {kind} {value}, not a function or a class: define it, e.g. "
                    "def {name}(...): ...",
    "extra_parameter": "{name}{signature}: parameter {extra!r} is not in torch's "
                       "{op}{op_signature}",
    "as_no_piece": "--as {text}: {piece!r} is no piece; the pieces are: {pieces}",
    "as_no_name": "--as {name}={piece}: the file has no name {name!r}",
    # the check
    "summary": "{rows} rows: {passed} passed, {failed} failed{skipped} ({controls} negative "
               "controls, {rejected} rejected); float64 max rel error: out {out}, grad {grad}; "
               "{torch}",
    "skipped": ", {n} skipped",
    "advice": ", {n} advice (beyond the exercise: shown, never failing; --strict fails them)",
    "skipped_jvp": "not checked: your Function has no jvp, so forward mode cannot run through it "
                   "(write jvp(ctx, *tangents), J v, beside the backward to have it checked)",
    "skipped_setup_context": "not checked: your Function's forward takes ctx, which torch.func "
                             "cannot transform (write forward without ctx, and "
                             "setup_context(ctx, inputs, output), to have it checked)",
    "skipped_vmap": "not checked: your Function has no vmap rule (set generate_vmap_rule = True "
                    "or write vmap(info, in_dims, ...) to have it checked)",
    "left_out": "{count} {group} cases run only when asked, they take minutes: {command}",
    "not_checked": "not checked (no piece of that name; --as NAME=PIECE names one): {names}",
    "borrowed": "{name} (it is {where} itself, not a derivation)",
    "defined_twice": "{piece} of {second} ({piece} of {first}, the first, is graded)",
    "only_borrowed": "nothing of yours to check: {names}; derive it in torch's tensor "
                     "operations (handgrad exercise NAME writes a starter)",
    "watching": "watching {path}: the rows run again each time it is saved (Ctrl-C ends)",
    # grading a class
    "grade_nothing": "no name in it is a piece handgrad checks (its names: {names})",
    "grade_passed": "passed",
    "grade_absent": "{piece} is not in the submission",
    "grade_todo": "{piece}: not implemented yet (as the starter left it)",
    "grade_title": "# Grades of {count} submissions",
    "grade_piece": "## {piece} (points: {points}): {full} of {count} earned them all",
    "grade_slip": "- {times} of {count} match a known slip: {label}{source}",
    "grade_todo_count": "- {times} of {count} left it as the starter gave it",
    "grade_stopped": "## Submissions that did not run to the end",
    "grade_timeout": "timed out after {seconds} s{where}; what finished before is kept",
    "grade_while": " while checking {piece}",
    "grade_crashed": "the process ended with {how}{where}{why}",
    "grade_why": ": {text}",
    "grade_memory": "ran out of its {gb} GiB of memory{where}; what finished before is kept",
    "grade_signal": "signal {signal}",
    "grade_exit": "exit status {status}",
    "grade_garbled": "its process sent something that is not an answer{where}; what "
                     "finished before is kept",
    "grade_failed": "handgrad's grading process ended before the submission's grading did "
                    "(a fault of handgrad's, not the submission's: grade it again)",
    "grade_too_big": "more than {most} KiB of Python: not graded",
    "grade_printed": "{bytes} bytes printed; the last {kept} kept:",
    "grade_no_sandbox": "grading runs each submission in a sandbox, and bubblewrap (bwrap) "
                        "cannot make one here: install it (apt-get install bubblewrap), or "
                        "grade without isolation with --no-sandbox (a submission can then read "
                        "and change whatever you can)",
    "grade_builtins": "{piece}: no points: it calls {names}, what it is to derive",
    "handmade_builtin": "{piece}: no points: it calls {name} ({file}, {place}), the "
                        "built-in it is to derive by hand",
    "handmade_autograd": "{piece}: no points: it asks autograd for a derivative with {name} "
                         "({file}, {place}) instead of deriving it by hand",
    "handmade_handgrad": "{piece}: no points: it uses handgrad's own solution {name} ({file}, "
                         "{place})",
    "handmade_hidden": "{piece}: no points: it reaches code by {name} ({file}, {place}), "
                       "which cannot be read for what it calls; call torch's functions by name",
    "grade_named": "{name}: {said}",
    "grade_ran": "checked: {pieces}",
    "grade_written": "written to {out}: grades.csv, summary.md, and per submission in "
                     "submissions/ its feedback.txt, results.json and printed.txt",
    # the exercise starter
    "exercise_title": "Exercise: {name}, derived by hand.",
    "exercise_section": "From the notes: {section}.",
    "exercise_update": "Write update() below from the pseudocode in the class docstring.",
    "exercise_lr_at": "Write lr_at() below: the warm-up and the decay after it, step by step.",
    "exercise_body": "Write {name} below from the notes' formulas.",
    "exercise_backward": "Write {function}.backward below: the derivative of the forward above "
                         "it, by the chain rule.",
    "exercise_jvp": "Then, if you like, {function}.jvp(ctx, *tangents): forward mode, J v\n"
                    "(the forward_ row checks it; ctx.save_for_forward keeps what it needs).",
    "exercise_verdict": "It passes when its rows pass in float64 and float32, on our samples "
                        "and on torch's own;\nthe rows beyond those are advice (shown, never "
                        "failing).",
    "exercise_check": "Check it with:  {command}",
    "no_exercise": "no exercise named {name!r}; `handgrad exercise --list` lists them: {names}",
    "exercise_run_check": "Run the cell below when the cell above is written: it checks the "
                          "pieces this notebook defines as `handgrad check --with` does, and "
                          "shows the table, with a diagnosis under each failing row.",
    "exercise_cell_check": "the check: the same rows as handgrad check --with, as a table",
    "exercise_cell_graded": "here; not where the notebook is graded",
    "exercise_exists": "{path} exists: it may hold your work; choose --out or add --force",
    "exercise_unwritable": "cannot write {path} ({error}); run it in a folder you can write to, "
                           "or choose --out FILE",
    "exercise_wrote": "wrote {path}: write {what}, then run  {command}",
    "what_backward": "the backward",
    "what_update": "the update",
    "what_lr_at": "lr_at",
    "hint_backward": "# grad is dL/d(output); return dL/d(input) for each input of forward\n"
                     "# (None for one that is not a tensor), from what forward saved in ctx",
    "hint_update": "# p: the parameter; g: its gradient (maximize and weight decay already "
                   "applied)\n# state: this parameter's {state_keys} (those its settings use), "
                   "made by init_state\n#   (state[\"step\"], where there is one, already "
                   "counts this step)\n# group: group[\"lr\"] and the other settings of the "
                   "class\n# Change p and the state in place (p.add_(...), m.mul_(...)): the "
                   "caller keeps them.",
}
