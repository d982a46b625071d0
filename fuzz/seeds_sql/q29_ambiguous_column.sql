SELECT island, species
FROM penguins p JOIN sites s ON p.island = s.island