SELECT p.species FROM penguins p
WHERE p.body_mass_g > (SELECT AVG(q.body_mass_g) FROM penguins q WHERE q.species = p.species)
AND EXISTS (SELECT 1 FROM "penguins-raw" r WHERE r."Island" = p.island)
AND p.island IN (SELECT island FROM sites WHERE visited)