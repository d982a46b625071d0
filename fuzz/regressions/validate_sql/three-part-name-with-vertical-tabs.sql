SELECT s.l.species
FROM sites s JOIN penguins p USING (island)
WHERE s.since > TIMESTAMP '2008-01-01 00:00:00'