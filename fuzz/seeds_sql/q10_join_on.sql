SELECT p.species, s.latitude
FROM penguins p
JOIN sites s ON p.island = s.island
WHERE s.visited