SELECT ies
FROM penguins p JOIN sites s ON #.isla.island