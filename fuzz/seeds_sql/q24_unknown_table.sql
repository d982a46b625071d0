SELECT species
FROM pengiuns