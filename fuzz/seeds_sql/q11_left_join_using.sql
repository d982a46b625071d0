SELECT island, species, since
FROM penguins LEFT JOIN sites USING (island)