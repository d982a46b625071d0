SELECT t.species, t.n
FROM (SELECT species, COUNT(*) AS n FROM penguins GROUP BY species) t
WHERE t.n > 5