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
    # the check
    "summary": "{rows} rows: {passed} passed, {failed} failed ({controls} negative controls, "
               "{rejected} rejected); float64 max rel error: out {out}, grad {grad}",
    "not_checked": "not checked (no piece of that name; --as NAME=PIECE names one): {names}",
    "watching": "watching {path}: the rows run again each time it is saved (Ctrl-C ends)",
    # the exercise starter
    "exercise_title": "Exercise: {name}, derived by hand.",
    "exercise_section": "From the notes: {section}.",
    "exercise_update": "Write update() below from the pseudocode in the class docstring.",
    "exercise_lr_at": "Write lr_at() below: the warm-up and the decay after it, step by step.",
    "exercise_body": "Write {name} below from the notes' formulas.",
    "exercise_backward": "Write {function}.backward below: the derivative of the forward above "
                         "it, by the chain rule.",
    "exercise_check": "Check it with:  {command}",
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
