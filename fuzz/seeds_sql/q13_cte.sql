WITH heavy AS (
  SELECT species, body_mass_g AS mass FROM penguins WHERE body_mass_g > 5000
)
SELECT species, mass FROM heavy WHERE mass > 5500