"""Grading a class: the checks of each learner's pieces as points, in isolated processes."""
