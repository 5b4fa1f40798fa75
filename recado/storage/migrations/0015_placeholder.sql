-- Placeholder: the number is another branch's this session (the lead renumbers 0016 on the
-- merge if main has neither 0014 nor 0015); the runner refuses gaps.
SELECT 1;
