"""What is for sale and who makes it: units, categories, products, images, search and the storefront."""
