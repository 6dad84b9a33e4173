"""English: the messages a learner reads (the corrections and slip names are the records')."""

MESSAGES = {
    # the diagnosis under a failing row
    "todo": "not implemented yet: {what}",
    "todo_at": " (met in {site})",
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
    "with_syntax": "{spec}: syntax error at line {line}: {error}{hint}",
    "with_not_source": "{spec}: not Python source: {error}{hint}",
    "with_is_python": " (is it a Python file?)",
    "with_timeout": "stopped after {seconds} s (--timeout): your file's check did not end; "
                    "look for a loop that never ends",
    "with_ended": "your file's process ended with {how} before its check did: the rows "
                  "above are all it finished",
    "at_line": " at line {line}",
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
    "handmade_builtin": "{piece}: no points: it calls {name} ({file}, line {line}), the "
                        "built-in it is to derive by hand",
    "handmade_autograd": "{piece}: no points: it asks autograd for a derivative with {name} "
                         "({file}, line {line}) instead of deriving it by hand",
    "handmade_handgrad": "{piece}: no points: it uses handgrad's own solution {name} ({file}, "
                         "line {line})",
    "handmade_hidden": "{piece}: no points: it reaches code by {name} ({file}, line {line}), "
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
