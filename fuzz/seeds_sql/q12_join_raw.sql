SELECT p.species, r."Sex"
FROM penguins p
JOIN "penguins-raw" r ON p.island = r."Island" AND p.species = r."Species"