SELECT p.species, p.island.species
FROM penguins p